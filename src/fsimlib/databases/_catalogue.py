"""The databases ``fsimlib evaluate`` knows, each described as data.

Each description records what its layout was taken from (``based_on``);
the user guide lists the expected folder trees.
"""

from __future__ import annotations

from types import MappingProxyType

from ._description import Database, ScoreSource

#: TID2013's 24 distortion types, by the two-digit code in its file names
#: (the list in the database's readme); TID2008's are the first 17.
_TID_TYPES = (
    "Additive Gaussian noise",
    "Additive noise in colour components",
    "Spatially correlated noise",
    "Masked noise",
    "High frequency noise",
    "Impulse noise",
    "Quantization noise",
    "Gaussian blur",
    "Image denoising",
    "JPEG compression",
    "JPEG2000 compression",
    "JPEG transmission errors",
    "JPEG2000 transmission errors",
    "Non eccentricity pattern noise",
    "Local block-wise distortions",
    "Mean shift (intensity shift)",
    "Contrast change",
    "Change of colour saturation",
    "Multiplicative Gaussian noise",
    "Comfort noise",
    "Lossy compression of noisy images",
    "Colour quantization with dither",
    "Chromatic aberrations",
    "Sparse sampling and reconstruction",
)

#: KADID-10k's 25 distortion types, by the two-digit code in its file names.
_KADID_TYPES = (
    "Gaussian blur",
    "Lens blur",
    "Motion blur",
    "Colour diffusion",
    "Colour shift",
    "Colour quantization",
    "Colour saturation 1",
    "Colour saturation 2",
    "JPEG2000",
    "JPEG",
    "White noise",
    "White noise in colour component",
    "Impulse noise",
    "Multiplicative noise",
    "Denoise",
    "Brighten",
    "Darken",
    "Mean shift",
    "Jitter",
    "Non-eccentricity patch",
    "Pixelate",
    "Quantization",
    "Colour block",
    "High sharpen",
    "Contrast change",
)


def _codes(names: tuple[str, ...]) -> MappingProxyType[str, MappingProxyType[str, str]]:
    """``{"01": {"type_name": names[0]}, ...}``: a lookup table by code."""
    return MappingProxyType(
        {
            f"{code:02d}": MappingProxyType({"type_name": name})
            for code, name in enumerate(names, start=1)
        }
    )


def _table(
    rows: dict[str, dict[str, str]],
) -> MappingProxyType[str, MappingProxyType[str, str]]:
    return MappingProxyType(
        {key: MappingProxyType(value) for key, value in rows.items()}
    )


def _tid(name: str, types: int, size: int, based_on: str) -> Database:
    return Database(
        name=name,
        references="reference_images",
        distorted="distorted_images",
        sources=(ScoreSource("mos_with_names.txt", "text", ("mos", "dist")),),
        opinion="mos",
        higher_is_better=True,
        reference="I{ref}.BMP",
        distorted_name="{dist}",
        label="{type_name}",
        parse=(
            (
                "dist",
                r"(?i)^i(?P<ref>\d{2})_(?P<type>\d{2})_(?P<level>\d)\.bmp$",
            ),
        ),
        lookup=(("type", _codes(_TID_TYPES[:types])),),
        authors=MappingProxyType(
            {"fsim": "metrics_values/FSIM.txt", "fsimc": "metrics_values/FSIMc.txt"}
        ),
        size=size,
        based_on=based_on,
    )


TID2013 = _tid(
    "TID2013",
    24,
    3000,
    "the TID2013 readme (25 references I01.BMP..I25.BMP, 24 distortion types "
    "x 5 levels named iXX_YY_Z.bmp, mos_with_names.txt lines 'MOS name', "
    "metrics_values/ with the authors' scores of other metrics)",
)

TID2008 = _tid(
    "TID2008",
    17,
    1700,
    "the TID2008 readme (25 references, 17 distortion types x 4 levels named "
    "iXX_YY_Z.bmp, mos_with_names.txt lines 'MOS name')",
)

KADID10K = Database(
    name="KADID-10k",
    references="images",
    distorted="images",
    sources=(ScoreSource("dmos.csv", "csv", ("dist_img", "ref_img", "dmos")),),
    opinion="dmos",
    # KADID-10k's 'dmos' is the mean of degradation category ratings on
    # 1 (very annoying) .. 5 (imperceptible): higher is better, like a MOS.
    higher_is_better=True,
    reference="{ref_img}",
    distorted_name="{dist_img}",
    label="{type_name}",
    parse=(
        (
            "dist_img",
            r"(?i)^I(?P<ref>\d{2})_(?P<type>\d{2})_(?P<level>\d{2})\.png$",
        ),
    ),
    lookup=(("type", _codes(_KADID_TYPES)),),
    size=10125,
    based_on=(
        "the KADID-10k web page and archive (images/I01.png and "
        "images/I01_01_01.png, dmos.csv with columns dist_img, ref_img, dmos, "
        "var; ratings 1..5, higher is better)"
    ),
)

_CSIQ_TYPES = _table(
    {
        # dst_type in csiq.DMOS.xlsx -> folder and name tag of its files.
        "noise": {"folder": "awgn", "tag": "AWGN", "type_name": "AWGN"},
        "awgn": {"folder": "awgn", "tag": "AWGN", "type_name": "AWGN"},
        "jpeg": {"folder": "jpeg", "tag": "JPEG", "type_name": "JPEG"},
        "jpeg 2000": {"folder": "jpeg2000", "tag": "jpeg2000", "type_name": "JPEG2000"},
        "jpeg2000": {"folder": "jpeg2000", "tag": "jpeg2000", "type_name": "JPEG2000"},
        "fnoise": {"folder": "fnoise", "tag": "fnoise", "type_name": "1/f noise"},
        "1/f noise": {"folder": "fnoise", "tag": "fnoise", "type_name": "1/f noise"},
        "blur": {"folder": "blur", "tag": "BLUR", "type_name": "Gaussian blur"},
        "contrast": {"folder": "contrast", "tag": "contrast", "type_name": "Contrast"},
    }
)

CSIQ = Database(
    name="CSIQ",
    references="src_imgs",
    distorted="dst_imgs",
    sources=(
        ScoreSource(
            "csiq.DMOS.xlsx",
            "xlsx",
            ("image", "dst_type", "dst_lev", "dmos"),
            sheet="all_by_image",
        ),
        ScoreSource("csiq.DMOS.csv", "csv", ("image", "dst_type", "dst_lev", "dmos")),
    ),
    opinion="dmos",
    higher_is_better=False,
    reference="{image}.png",
    distorted_name="{folder}/{image}.{tag}.{dst_lev}.png",
    label="{type_name}",
    lookup=(("dst_type", _CSIQ_TYPES),),
    size=866,
    based_on=(
        "the CSIQ archive (src_imgs/1600.png, dst_imgs/awgn/1600.AWGN.1.png, "
        "csiq.DMOS.xlsx whose sheet all_by_image has columns image, dst_idx, "
        "dst_type, dst_lev, dmos_std, dmos; DMOS 0..1, lower is better)"
    ),
)

_LIVE_FOLDERS = (
    ("jp2k", 227),
    ("jpeg", 233),
    ("wn", 174),
    ("gblur", 174),
    ("fastfading", 174),
)
_LIVE_TYPES = _table(
    {
        "jp2k": {"type_name": "JPEG2000"},
        "jpeg": {"type_name": "JPEG"},
        "wn": {"type_name": "White noise"},
        "gblur": {"type_name": "Gaussian blur"},
        "fastfading": {"type_name": "Fast fading (JPEG2000 over a channel)"},
    }
)


def _live_source(path: str, variable: str) -> ScoreSource:
    return ScoreSource(
        path,
        "mat",
        variables=(
            ("dmos", path, variable),
            ("orgs", path, "orgs"),
            ("refname", "refnames_all.mat", "refnames_all"),
        ),
        numbering=_LIVE_FOLDERS,
    )


LIVE = Database(
    name="LIVE",
    references="refimgs",
    distorted=".",
    sources=(
        _live_source("dmos_realigned.mat", "dmos_new"),
        _live_source("dmos.mat", "dmos"),
    ),
    opinion="dmos",
    higher_is_better=False,
    reference="{refname}",
    distorted_name="{folder}/img{index}.bmp",
    label="{type_name}",
    lookup=(("folder", _LIVE_TYPES),),
    # orgs is 1 for the 203 rows that are the references themselves.
    keep=(("orgs", "0"),),
    size=779,
    based_on=(
        "the LIVE Image Quality Assessment Database release 2 readme "
        "(refimgs/, jp2k/ jpeg/ wn/ gblur/ fastfading/ with img1.bmp.., "
        "dmos.mat with dmos and orgs, dmos_realigned.mat with dmos_new and "
        "orgs, refnames_all.mat with refnames_all; 982 entries in the folder "
        "order jp2k 227, jpeg 233, wn 174, gblur 174, fastfading 174)"
    ),
)

#: Every known database, by the name given to ``--database``.
DATABASES: MappingProxyType[str, Database] = MappingProxyType(
    {database.name: database for database in (TID2013, TID2008, KADID10K, CSIQ, LIVE)}
)


def _normal(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


def get_database(name: str) -> Database:
    """Return the database called ``name`` (any case; '-' and '_' ignored).

    Parameters
    ----------
    name : str
        E.g. ``"TID2013"``, ``"kadid10k"``, ``"live"``.

    Returns
    -------
    Database
        Its description.

    Raises
    ------
    ValueError
        If no known database has that name.

    Examples
    --------
    >>> from fsimlib.databases import get_database
    >>> live = get_database("live")
    >>> live.name, live.opinion_kind, live.size
    ('LIVE', 'DMOS', 779)
    """
    wanted = _normal(name)
    for known, database in DATABASES.items():
        if _normal(known) == wanted:
            return database
    msg = f"unknown database {name!r}; expected one of {', '.join(DATABASES)}"
    raise ValueError(msg)
