"""Start commands whose signal tests do not depend on how pytest was started.

A process started in the background by a non-interactive shell (``cmd &``)
ignores SIGINT, and one started under ``nohup`` ignores SIGHUP.  Children
inherit ignored signals, and fsimlib's command rightly leaves a signal
ignored that it was started ignoring.  Tests that send those signals
therefore start the command through :data:`WITH_DEFAULT_SIGNALS`, which
restores the default dispositions and then executes it.
"""

from __future__ import annotations

import sys

_RESET_AND_EXEC = (
    "import os, signal, sys; "
    "[signal.signal(s, signal.SIG_DFL) "
    "for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)]; "
    "os.execv(sys.argv[1], sys.argv[1:])"
)

#: Prefix for a command line: run the command with default signal handling.
WITH_DEFAULT_SIGNALS = [sys.executable, "-c", _RESET_AND_EXEC]
