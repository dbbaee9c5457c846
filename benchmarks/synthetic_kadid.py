"""Write the synthetic KADID-shaped set of dataset.py in KADID-10k's layout.

The images are those ``dataset.py`` times: seeded 384 x 512 crops of
scikit-image's colour pictures, each distorted by its 25 distortions at 5
levels.  They are written as KADID-10k lays its archive out
(``images/I01.png``, ``images/I01_01_01.png`` for reference 1, distortion
type 1, level 1, and ``dmos.csv`` with columns dist_img, ref_img, dmos,
var), so that ``fsimlib evaluate ROOT --database KADID-10k`` runs on it.

No one has rated these images.  The ``dmos`` column is therefore not an
opinion but the distortion level turned into KADID's scale, 6 - level (5
for the weakest level, 1 for the strongest), and ``var`` is 0.  A
correlation with it within one distortion type says how consistently FSIM
falls as that distortion gets stronger; across types it says little, as
level k of one distortion has no reason to look like level k of another.
The distortion type codes are ``dataset.py``'s order, not KADID-10k's: code
02 is a box blur here, not KADID's lens blur (``--table`` prints the
generator's names).

Run: ``python benchmarks/synthetic_kadid.py ROOT [--references N]``, then
``fsimlib evaluate ROOT --database KADID-10k -o RESULTS``; ``python
benchmarks/synthetic_kadid.py ROOT --table RESULTS`` prints the results as
the reStructuredText table of the user guide.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from dataset import DISTORTIONS, N_LEVELS, distorted_stack, make_references
from PIL import Image

from fsimlib.databases import get_database


def write(root: Path, references: int) -> int:
    """Write the set under ``root`` (which must not exist); return its pairs."""
    root.mkdir(parents=True)
    (root / "images").mkdir()
    rows = [["dist_img", "ref_img", "dmos", "var"]]
    levels = tuple(range(N_LEVELS))
    for number, reference in enumerate(make_references(references), start=1):
        ref_name = f"I{number:02d}.png"
        Image.fromarray(reference).save(root / "images" / ref_name)
        # The same seed as dataset.py's run, so these are its images.
        stack = distorted_stack(reference, levels, seed=999 + number)
        for position, image in enumerate(stack):
            code, level = divmod(position, len(levels))
            name = f"I{number:02d}_{code + 1:02d}_{level + 1:02d}.png"
            Image.fromarray(image).save(root / "images" / name)
            rows.append([name, ref_name, str(N_LEVELS + 1 - (level + 1)), "0"])
    with (root / "dmos.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def table(results: Path) -> str:
    """The summary of an evaluate run on this set, as a reStructuredText table."""
    summary = json.loads((results / "summary.json").read_text(encoding="utf-8"))
    kadid_names = get_database("KADID-10k").lookup[0][1]
    by_name = {entry["type_name"]: code for code, entry in kadid_names.items()}
    ours = list(DISTORTIONS)
    metrics = summary["metrics"]
    header = ["code", "distortion (synthetic)", "n"]
    header += [f"SROCC {name}" for name in ("FSIM", "FSIMc")]
    lines = []
    groups = [("all", "all types", metrics["fsim"]["overall"]["n"])]
    groups += [
        (by_name[name], ours[int(by_name[name]) - 1], entry["n"])
        for name, entry in metrics["fsim"]["by_distortion"].items()
    ]
    for code, label, n in groups:
        cells = [code, label, str(n)]
        for metric in ("fsim", "fsimc"):
            result = metrics[metric]
            entry = (
                result["overall"]
                if code == "all"
                else result["by_distortion"][kadid_names[code]["type_name"]]
            )
            value = entry.get("srocc")
            cells.append("n/a" if value is None else f"{value:.4f}")
        lines.append(cells)
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    rule = "  ".join("=" * width for width in widths)

    def fmt(row: list[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([rule, fmt(header), rule, *map(fmt, lines), rule])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder to write (must not exist)")
    parser.add_argument("--references", type=int, default=9, help="default 9")
    parser.add_argument("--table", type=Path, help="print the table of RESULTS")
    args = parser.parse_args()
    if args.table is not None:
        print(table(args.table))
        return
    pairs = write(args.root, args.references)
    print(f"{pairs} pairs in KADID-10k's layout under {args.root}")


if __name__ == "__main__":
    main()
