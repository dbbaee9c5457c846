"""``python -m fsimlib``: the same command line as the ``fsimlib`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
