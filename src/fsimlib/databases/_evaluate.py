"""Score a whole database and say how well FSIM and FSIMc predict its opinions.

:func:`evaluate` scores every pair of a database into a resumable scores
CSV (the machinery of ``fsimlib batch``), then correlates the scores with
the opinion scores, overall and per distortion type, compares them with the
authors' own values where the database ships them, and writes a summary
(JSON and CSV) and a scatter plot.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
import sys
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsimlib._gradient import GradientSpec
from fsimlib._options import (
    GRADIENT_NAMES,
    FileKeywords,
    FSIMOptions,
    document_options,
    options_from_keywords,
)
from fsimlib.datasets import DEFAULT_CHUNK_SIZE, ScoreFile, provenance, score_pairs
from fsimlib.stats import Correlation, correlate

from ._catalogue import get_database
from ._description import Database
from ._reader import PAIR_FIELDS, DatabaseTable, database_pairs, detect_database

if TYPE_CHECKING:
    from typing_extensions import Unpack

#: What ``evaluate`` writes in its output folder.
RUN_FILE = "run.json"
SCORES_FILE = "scores.csv"
SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
AUTHORS_CSV = "authors_check.csv"
PLOT_FILE = "scatter.png"
#: Round-off allowed on top of half a unit of the authors' printed precision:
#: fsimlib and the authors' code agree to about 1e-14.
ARITHMETIC_NOISE = 1e-12
METRICS = ("fsim", "fsimc")
#: Pairs beyond the authors' printed precision shown in summary.json.
SHOWN_BEYOND = 20
_NAMES = {"fsim": "FSIM", "fsimc": "FSIMc"}


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` did.

    Attributes
    ----------
    table : DatabaseTable
        The database's pairs.
    summary : dict
        The content of ``summary.json``.
    files : dict of str to Path
        The files written, by kind (``scores``, ``summary_json``,
        ``summary_csv``, ``authors_check``, ``plot``).
    plot_error : str or None
        Why no plot was drawn (matplotlib missing), or None.

    Examples
    --------
    See :func:`evaluate`, which returns one.
    """

    table: DatabaseTable
    summary: dict[str, Any]
    files: dict[str, Path]
    plot_error: str | None

    @property
    def failed(self) -> int:
        """Pairs that could not be scored."""
        return int(self.summary["failed"])


def _check_gradient_name(gradient: GradientSpec) -> None:
    """Refuse a gradient that the run's record could not name."""
    if not isinstance(gradient, str):
        msg = (
            f"evaluate takes a gradient by name {GRADIENT_NAMES}, got "
            f"{type(gradient).__name__}"
        )
        raise TypeError(msg)


def _claim_output(output: Path, record: dict[str, Any]) -> None:
    """Make ``output`` this run's folder, or refuse if it holds another run's."""
    output.mkdir(parents=True, exist_ok=True)
    run_file = output / RUN_FILE
    if run_file.exists():
        try:
            previous = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            msg = f"{run_file} is not a run record of fsimlib evaluate: {error}"
            raise ValueError(msg) from error
        kept = {key: previous.get(key) for key in ("database", "options")}
        wanted = {key: record[key] for key in ("database", "options")}
        if kept != wanted:
            msg = (
                f"{output} holds a run of {kept}, not {wanted}; one output "
                "folder holds one database and option set: use another "
                "--output or delete it"
            )
            raise ValueError(msg)
        return
    ours = (SCORES_FILE, SUMMARY_JSON, SUMMARY_CSV, AUTHORS_CSV, PLOT_FILE)
    strays = [name for name in ours if (output / name).exists()]
    if strays:
        msg = (
            f"{output} already has {', '.join(strays)} but no {RUN_FILE}: not "
            "written by fsimlib evaluate, so they are not overwritten; use "
            "another --output"
        )
        raise ValueError(msg)
    run_file.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _score(
    table: DatabaseTable,
    scores: ScoreFile,
    options: FSIMOptions,
    *,
    executor: Executor | None,
    chunk_size: int,
    progress: bool,
) -> list[dict[str, str]]:
    from tqdm import tqdm

    pairs = table.pairs
    left = scores.resume(pairs)
    bar = tqdm(
        total=len(pairs),
        initial=len(pairs) - len(left),
        unit="pair",
        desc=f"scoring {table.database.name}",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    try:
        records = score_pairs(
            [pairs[position] for position in left],
            executor=executor,
            chunk_size=chunk_size,
            **options.keywords(),
        )
        for record in records:
            scores.write(record)
            bar.update(1)
    finally:
        bar.close()
    return scores.finish(pairs)


def _outcome(scores: list[float], quality: list[float]) -> Correlation | str:
    try:
        return correlate(scores, quality)
    except ValueError as error:
        return str(error)


def _statistics(outcome: Correlation | str, n: int) -> dict[str, Any]:
    if isinstance(outcome, str):
        return {"n": n, "error": outcome}
    entry: dict[str, Any] = {"n": outcome.n}
    for name in ("srocc", "krocc", "plcc", "plcc_logistic", "rmse"):
        value = getattr(outcome, name)
        entry[name] = value if math.isfinite(value) else None
    if outcome.fit is None:
        entry["fit_error"] = outcome.fit_error
    else:
        entry["logistic"] = list(outcome.fit.parameters)
    return entry


def correlations(
    rows: Sequence[Mapping[str, str]],
    *,
    metric: str,
    higher_is_better: bool,
) -> tuple[dict[str, Any], dict[Hashable, Correlation | str]]:
    """Correlate one metric's scores with opinion, overall and per distortion.

    Opinion scores are oriented so that higher is better (DMOS negated), so
    a good metric has positive correlations on every database; RMSE is in
    the units of the database's scores.

    Parameters
    ----------
    rows : sequence of mapping
        Rows of a scores CSV (``opinion``, ``distortion``, the metric's
        column and ``error``); failed rows are left out.
    metric : {"fsim", "fsimc"}
        The column.
    higher_is_better : bool
        False for DMOS.

    Returns
    -------
    summary : dict
        ``overall`` and ``by_distortion`` statistics, JSON-ready.
    outcomes : dict
        ``"all"`` and each distortion type to its Correlation, or the
        reason there is none.
    """
    sign = 1.0 if higher_is_better else -1.0
    scored = [row for row in rows if not row.get("error") and row.get(metric)]
    groups: dict[Hashable, list[Mapping[str, str]]] = {"all": scored}
    for row in scored:
        groups.setdefault(("distortion", row["distortion"]), []).append(row)
    outcomes: dict[Hashable, Correlation | str] = {}
    summary: dict[str, Any] = {"overall": None, "by_distortion": {}}
    for key, members in groups.items():
        outcome = _outcome(
            [float(row[metric]) for row in members],
            [sign * float(row["opinion"]) for row in members],
        )
        outcomes[key] = outcome
        entry = _statistics(outcome, len(members))
        if key == "all":
            summary["overall"] = entry
        else:
            summary["by_distortion"][key[1]] = entry  # type: ignore[index]
    return summary, outcomes


def _allowed(text: str) -> float:
    """Half a unit of the last printed digit of ``text``, plus round-off."""
    exponent = Decimal(text).as_tuple().exponent
    digits = exponent if isinstance(exponent, int) else 0
    return 0.5 * 10.0**digits + ARITHMETIC_NOISE


def read_authors_values(path: Path, expected: int) -> list[str]:
    """Read the authors' scores: one number per line, in the score file's order.

    Raises
    ------
    ValueError
        If a line is not a number, or the count is not ``expected``.
    """
    values = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            msg = f"{path}, line {number}: {text!r} is not a number"
            raise ValueError(msg)
        values.append(text)
    if len(values) != expected:
        msg = (
            f"mismatched row count: {path} has {len(values)} values but the "
            f"score file has {expected} rows; expected one value per row"
        )
        raise ValueError(msg)
    return values


def check_authors(
    table: DatabaseTable, rows: Sequence[Mapping[str, str]], metric: str
) -> tuple[dict[str, Any], list[dict[str, str]]] | None:
    """Compare fsimlib's scores with the authors' values, if shipped.

    Returns
    -------
    tuple or None
        ``(summary, beyond)``: the largest and median absolute difference
        and the pairs that differ by more than half a unit of the printed
        precision plus :data:`ARITHMETIC_NOISE`; None when the database
        ships no such file.
    """
    relative = table.database.authors.get(metric)
    if relative is None or not (table.root / relative).is_file():
        return None
    path = table.root / relative
    values = read_authors_values(path, table.rows)
    differences = []
    beyond = []
    for row in rows:
        if row.get("error") or not row.get(metric):
            continue
        printed = values[int(row["row"]) - 1]
        difference = float(row[metric]) - float(printed)
        differences.append(abs(difference))
        allowed = _allowed(printed)
        if abs(difference) > allowed:
            beyond.append(
                {
                    "dist": row["dist"],
                    "authors": printed,
                    "fsimlib": row[metric],
                    "difference": repr(difference),
                    "allowed": repr(allowed),
                }
            )
    summary: dict[str, Any] = {
        "file": relative,
        "compared": len(differences),
        "max_abs_difference": max(differences) if differences else None,
        "median_abs_difference": (
            statistics.median(differences) if differences else None
        ),
        "beyond_printed_precision": len(beyond),
        # The first few, by row; authors_check.csv lists them all.
        "first_beyond": beyond[:SHOWN_BEYOND],
    }
    return summary, beyond


def _csv_text(
    header_lines: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Any]
) -> str:
    buffer = io.StringIO()
    for key, value in header_lines.items():
        text = value if isinstance(value, str) else json.dumps(value)
        buffer.write(f"# {key}: {text}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(entry: Mapping[str, Any], name: str) -> str:
    value = entry.get(name)
    return "" if value is None else repr(value)


def _summary_rows(metrics: Mapping[str, Any]) -> list[list[str]]:
    table = []
    for metric, result in metrics.items():
        entries = [("all", result["overall"]), *result["by_distortion"].items()]
        for group, entry in entries:
            note = entry.get("error") or (
                f"fit failed: {entry['fit_error']}" if entry.get("fit_error") else ""
            )
            table.append(
                [
                    _NAMES[metric],
                    group,
                    str(entry["n"]),
                    *(
                        _cell(entry, name)
                        for name in ("srocc", "krocc", "plcc", "plcc_logistic", "rmse")
                    ),
                    note,
                ]
            )
    return table


def _plot(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    outcomes: Mapping[str, Mapping[Hashable, Correlation | str]],
    database: Database,
) -> None:
    import numpy as np
    from matplotlib.figure import Figure

    sign = 1.0 if database.higher_is_better else -1.0
    figure = Figure(figsize=(5.0 * len(outcomes), 4.5), dpi=100)
    axes = figure.subplots(1, len(outcomes), squeeze=False)[0]
    for axis, (metric, results) in zip(axes, outcomes.items(), strict=True):
        scored = [row for row in rows if not row.get("error") and row.get(metric)]
        x = np.array([float(row[metric]) for row in scored])
        y = np.array([float(row["opinion"]) for row in scored])
        axis.scatter(x, y, s=6, alpha=0.5, label="pairs")
        overall = results["all"]
        if isinstance(overall, Correlation) and overall.fit is not None and x.size:
            grid = np.linspace(float(x.min()), float(x.max()), 200)
            axis.plot(grid, sign * overall.fit.predict(grid), "r-", label="logistic")
            axis.set_title(
                f"{database.name}: {_NAMES[metric]} (SROCC {overall.srocc:.4f})"
            )
        else:
            axis.set_title(f"{database.name}: {_NAMES[metric]} (no logistic fit)")
        axis.set_xlabel(_NAMES[metric])
        axis.set_ylabel(database.opinion_kind)
        axis.legend(loc="best")
    figure.tight_layout()
    figure.savefig(os.fspath(path))


@document_options()
def evaluate(
    root: str | os.PathLike[str],
    database: str | Database | None = None,
    *,
    output: str | os.PathLike[str],
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chromatic: bool = True,
    progress: bool = False,
    **options: Unpack[FileKeywords],
) -> Evaluation:
    r"""Score every pair of an IQA database and correlate with its opinions.

    The pairs are scored into ``<output>/scores.csv`` as ``fsimlib batch``
    does: row by row, flushed at once, so a run that is stopped continues
    where it stopped when started again.  Then the summary: SROCC, KROCC,
    PLCC, and PLCC and RMSE after the five-parameter logistic, overall and
    per distortion type, of FSIM and (with ``chromatic``) FSIMc, against
    the opinion scores oriented so that higher is better (DMOS negated).
    Where the database ships the authors' FSIM/FSIMc values, the largest
    and median differences from them and the pairs that differ by more
    than their printed precision explains.

    Written to ``output``: ``run.json`` (version, engine, loops, options),
    ``scores.csv``, ``summary.json``, ``summary.csv``, ``authors_check.csv``
    (when there are authors' values) and ``scatter.png`` (when matplotlib
    is installed: ``pip install 'fsimlib[plot]'``).

    Parameters
    ----------
    root : str or os.PathLike
        The database's folder, as unpacked.
    database : str or Database, optional
        Its name (see :data:`fsimlib.databases.DATABASES`); by default
        recognised from the folder's layout.
    output : str or os.PathLike
        Folder for the results; created if needed.  A folder holding a run
        with other options is refused.
    executor : concurrent.futures.Executor, optional
        Where to score (see :func:`fsimlib.datasets.score_pairs`); here by default.
    chunk_size : int, optional
        Distorted images per task with an executor.
    chromatic : bool, optional
        Summarise FSIMc as well as FSIM (default True).
    progress : bool, optional
        Show a progress bar on stderr.
    {options}

    Returns
    -------
    Evaluation
        The pairs, the summary and the files written.

    Raises
    ------
    ValueError
        If the folder is not laid out as the database (or as any, when
        recognising it), a score file is missing or malformed, a row names
        a missing image, the authors' values do not have one value per row,
        or ``output`` holds another run.

    Notes
    -----
    ``gradient`` must be given by name, which the run's record holds; as
    for :func:`fsimlib.datasets.score_pairs`, ``channel_axis`` must be None.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from fsimlib.databases import evaluate
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "images").mkdir()
    >>> rng = np.random.default_rng(0)
    >>> image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    >>> Image.fromarray(image).save(root / "images" / "I01.png")
    >>> lines = ["dist_img,ref_img,dmos,var"]
    >>> for level in range(1, 6):
    ...     noise = rng.normal(0, 8 * level, image.shape)
    ...     noisy = np.clip(image + noise, 0, 255).astype(np.uint8)
    ...     name = f"I01_11_0{level}.png"
    ...     Image.fromarray(noisy).save(root / "images" / name)
    ...     lines.append(f"{name},I01.png,{5.2 - 0.8 * level:.2f},0.5")
    >>> _ = (root / "dmos.csv").write_text("\n".join(lines) + "\n")
    >>> result = evaluate(root, "KADID-10k", output=root / "results")
    >>> overall = result.summary["metrics"]["fsim"]["overall"]
    >>> result.summary["pairs"], round(overall["srocc"], 6)
    (5, 1.0)
    """
    fsim_options = options_from_keywords("evaluate", options, files=True)
    if "gradient" in options:
        # The default is a name; another must be one too.
        _check_gradient_name(options["gradient"])
    base = Path(root)
    if database is None:
        described = detect_database(base)
    elif isinstance(database, Database):
        described = database
    else:
        described = get_database(database)
    table = database_pairs(base, described)
    settings = provenance(fsim_options)
    record = {**settings, "database": described.name}
    folder = Path(output)
    _claim_output(folder, record)
    scores = ScoreFile(folder / SCORES_FILE, PAIR_FIELDS, settings=settings)
    with scores.locked():
        rows = _score(
            table,
            scores,
            fsim_options,
            executor=executor,
            chunk_size=chunk_size,
            progress=progress,
        )
    metrics = METRICS if chromatic else METRICS[:1]
    summary: dict[str, Any] = {
        **record,
        "database": described.name,
        "root": os.fspath(base.resolve()),
        "score_file": table.source.path,
        "opinion": described.opinion_kind,
        "correlated_with": (
            described.opinion_kind
            if described.higher_is_better
            else f"-{described.opinion_kind}"
        ),
        "pairs": len(rows),
        "complete_database_pairs": described.size,
        "failed": sum(1 for row in rows if row.get("error")),
        "metrics": {},
        "authors": {},
    }
    outcomes: dict[str, Mapping[Hashable, Correlation | str]] = {}
    for metric in metrics:
        summary["metrics"][metric], outcomes[metric] = correlations(
            rows, metric=metric, higher_is_better=described.higher_is_better
        )
    files = {"scores": scores.path}
    beyond_rows = []
    for metric in metrics:
        checked = check_authors(table, rows, metric)
        if checked is not None:
            summary["authors"][metric], beyond = checked
            beyond_rows += [[_NAMES[metric], *item.values()] for item in beyond]
    header = {**record}
    if summary["authors"]:
        files["authors_check"] = folder / AUTHORS_CSV
        files["authors_check"].write_text(
            _csv_text(
                header,
                ["metric", "dist", "authors", "fsimlib", "difference", "allowed"],
                beyond_rows,
            ),
            encoding="utf-8",
        )
    files["summary_json"] = folder / SUMMARY_JSON
    files["summary_json"].write_text(
        json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    files["summary_csv"] = folder / SUMMARY_CSV
    files["summary_csv"].write_text(
        _csv_text(
            {
                **header,
                "database": described.name,
                "correlated_with": summary["correlated_with"],
            },
            [
                "metric",
                "distortion",
                "n",
                "srocc",
                "krocc",
                "plcc",
                "plcc_logistic",
                "rmse",
                "note",
            ],
            _summary_rows(summary["metrics"]),
        ),
        encoding="utf-8",
    )
    plot_error = None
    try:
        _plot(folder / PLOT_FILE, rows, outcomes, described)
    except ImportError:
        plot_error = "the scatter plot needs matplotlib: pip install 'fsimlib[plot]'"
    else:
        files["plot"] = folder / PLOT_FILE
    return Evaluation(table, summary, files, plot_error)
