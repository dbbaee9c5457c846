"""Pairs from two folders: distorted images matched to references by name."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ._format import printable
from ._records import PairRecord, PathLike

#: File name extensions :func:`pair_folders` takes for images.
IMAGE_SUFFIXES = frozenset(
    {".bmp", ".gif", ".jpeg", ".jpg", ".pbm", ".pgm", ".png", ".pnm", ".ppm"}
    | {".tif", ".tiff", ".webp"}
)
_SEPARATORS = ("_", "-", ".")


def pair_folders(
    ref_dir: PathLike, dist_dir: PathLike, /, *, relative_to: PathLike | None = None
) -> list[PairRecord]:
    """Pair distorted images with references by file name, as datasets do.

    The naming rule: a distorted image belongs to the reference whose file
    name without extension (its stem) begins the distorted image's stem,
    compared case-insensitively, followed by ``_``, ``-`` or ``.`` or by
    nothing; if several references match, the longest stem wins.  This
    covers TID2013 and KADID-10k (``I01.BMP`` and ``i01_08_3.bmp``), CSIQ
    (``1600.png`` and ``awgn/1600.AWGN.1.png``) and folders of
    ``name.png`` / ``name_jpeg_q10.png``.

    References are the image files directly in ``ref_dir``; distorted
    images are the image files anywhere under ``dist_dir`` (subfolders
    included), other than the references themselves.  When both are the
    same folder, an image whose name matches another's by the rule is a
    distorted image, not a reference.  Image files are
    those with the extensions in :data:`IMAGE_SUFFIXES` (any case).

    Parameters
    ----------
    ref_dir : str or os.PathLike
        Folder of reference images.
    dist_dir : str or os.PathLike
        Folder of distorted images (may be ``ref_dir``).
    relative_to : str or os.PathLike, optional
        Folder to write the ``ref`` and ``dist`` fields relative to (e.g.
        the output CSV's); absolute paths by default.

    Returns
    -------
    list of PairRecord
        One per distorted image, sorted by path, with fields ``ref`` and
        ``dist``.  A distorted image that matches no reference has
        ``ref == ""`` (scoring it gives an error record).

    Raises
    ------
    ValueError
        If a folder does not exist, or two references have the same stem.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fsimlib
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ["refs/I01.BMP", "dist/i01_01_1.bmp", "dist/i02_01_1.bmp"]:
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     (root / name).touch()
    >>> pairs = fsimlib.datasets.pair_folders(
    ...     root / "refs", root / "dist", relative_to=root
    ... )
    >>> [(pair.fields["ref"], pair.fields["dist"]) for pair in pairs]
    [('refs/I01.BMP', 'dist/i01_01_1.bmp'), ('', 'dist/i02_01_1.bmp')]
    """
    folders = []
    for name, folder in (("reference", ref_dir), ("distorted", dist_dir)):
        resolved = Path(folder).resolve()
        if not resolved.is_dir():
            msg = f"{name} folder {folder} does not exist or is not a folder"
            raise ValueError(msg)
        folders.append(resolved)
    refs_folder, dists_folder = folders
    candidates = [
        path
        for path in sorted(refs_folder.iterdir())
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if refs_folder == dists_folder:
        names = {path.stem.lower() for path in candidates}
        candidates = [
            path
            for path in candidates
            if not any(
                stem != path.stem.lower() and _matches(path.stem.lower(), stem)
                for stem in names
            )
        ]
    references: dict[str, Path] = {}
    for path in candidates:
        stem = path.stem.lower()
        if stem in references:
            msg = (
                f"references {references[stem].name} and {path.name} have the "
                "same name; the naming rule needs one reference per name"
            )
            raise ValueError(msg)
        references[stem] = path
    # Longest first, so that "img1" does not take the images of "img10".
    stems = sorted(references, key=len, reverse=True)
    reference_paths = set(references.values())
    base = None if relative_to is None else Path(relative_to).resolve()
    pairs = []
    for path in sorted(dists_folder.rglob("*")):
        if (
            not path.is_file()
            or path.suffix.lower() not in IMAGE_SUFFIXES
            or path in reference_paths
        ):
            continue
        name = path.stem.lower()
        match = next((references[stem] for stem in stems if _matches(name, stem)), None)
        ref = "" if match is None else os.fspath(match)
        fields = {"ref": _shown(match, base), "dist": _shown(path, base)}
        pairs.append(PairRecord(ref, os.fspath(path), fields))
    return pairs


def _matches(name: str, stem: str) -> bool:
    """Whether a distorted image's lower-case stem belongs to reference ``stem``."""
    if name == stem:
        return True
    return name.startswith(stem) and name[len(stem)] in _SEPARATORS


def _shown(path: Path | None, base: Path | None) -> str:
    r"""``path`` as written in a table: relative to ``base`` where it can be.

    Bytes of a file name that are not UTF-8 are shown as ``\xNN``: the
    table stays UTF-8 text and names the file readably.
    """
    if path is None:
        return ""
    shown = path.as_posix()
    if base is not None:
        with contextlib.suppress(ValueError):  # another drive, on Windows
            shown = Path(os.path.relpath(path, base)).as_posix()
    return printable(shown)
