"""score_pairs, ScoreFile, read_pairs_csv and pair_folders.

Images are small crops of scikit-image's pictures with seeded noise, written
by the tests into ``tmp_path``.  Scores are compared with ``fsimlib.fsim``
exactly: the pipeline only reads the files and calls the same code, so any
difference at all would be a bug.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest
from skimage import data

import fsimlib
from fsimlib.datasets import _scoring as _pipeline

SIDE = 48
SIGMAS = (4.0, 12.0, 30.0)


@dataclass(frozen=True)
class Dataset:
    root: Path
    good: list[fsimlib.datasets.PairRecord]
    bad: dict[str, fsimlib.datasets.PairRecord]

    @property
    def pairs(self) -> list[fsimlib.datasets.PairRecord]:
        return [*self.good, *self.bad.values()]


def noisy(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = np.iinfo(image.dtype).max
    scaled = sigma * top / 255
    return np.clip(image + rng.normal(0, scaled, image.shape), 0, top).astype(
        image.dtype
    )


def make_dataset(root: Path) -> Dataset:
    """Three references (grey 8-bit, RGB 8-bit, grey 16-bit) x 3 noise levels,
    and one pair for each way a pair can fail."""
    camera = data.camera()[200 : 200 + SIDE, 200 : 200 + SIDE]
    references = {
        "grey8": camera,
        "rgb8": data.astronaut()[100 : 100 + SIDE, 180 : 180 + SIDE],
        "grey16": camera.astype(np.uint16) * 257,
    }
    good = []
    for seed, (name, image) in enumerate(references.items()):
        iio.imwrite(root / f"{name}.png", image)
        for level, sigma in enumerate(SIGMAS):
            dist = root / f"{name}_n{level}.png"
            iio.imwrite(dist, noisy(image, sigma, seed * 10 + level))
            fields = {"ref": f"{name}.png", "dist": dist.name, "sigma": str(sigma)}
            good.append(fsimlib.datasets.PairRecord(root / f"{name}.png", dist, fields))
    (root / "corrupt.png").write_bytes((root / "grey8_n0.png").read_bytes()[:100])
    iio.imwrite(root / "small.png", camera[:40, :40])
    ref8 = root / "grey8.png"
    bad = {
        "missing": fsimlib.datasets.PairRecord(
            ref8, root / "absent.png", {"dist": "absent"}
        ),
        "corrupt": fsimlib.datasets.PairRecord(
            ref8, root / "corrupt.png", {"dist": "corrupt"}
        ),
        "shape": fsimlib.datasets.PairRecord(
            ref8, root / "small.png", {"dist": "small"}
        ),
        "channels": fsimlib.datasets.PairRecord(
            ref8, root / "rgb8.png", {"dist": "rgb"}
        ),
        "depth": fsimlib.datasets.PairRecord(
            ref8, root / "grey16.png", {"dist": "deep"}
        ),
        "no-ref": fsimlib.datasets.PairRecord(
            "", root / "grey8_n0.png", {"dist": "noref"}
        ),
        "ref-missing": fsimlib.datasets.PairRecord(
            root / "gone.png", root / "grey8_n0.png", {"dist": "gone"}
        ),
    }
    return Dataset(root, good, bad)


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    return make_dataset(tmp_path)


def outcomes(records: Iterator[fsimlib.datasets.ScoreRecord]) -> list[tuple[Any, ...]]:
    """(index, fsim, fsimc, error) in input order."""
    ordered = sorted(records, key=lambda record: record.index)
    return [(r.index, r.fsim, r.fsimc, r.error) for r in ordered]


def test_scores_equal_fsim_exactly(dataset: Dataset) -> None:
    records = sorted(fsimlib.datasets.score_pairs(dataset.good), key=lambda r: r.index)
    assert [r.index for r in records] == list(range(len(dataset.good)))
    for record, pair in zip(records, dataset.good, strict=True):
        ref, _ = fsimlib.read_image(pair.ref)
        dist, _ = fsimlib.read_image(pair.dist)
        assert record.ok, record.error
        assert record.pair is pair
        assert record.fsim == fsimlib.fsim(ref, dist), pair.fields
        assert record.fsimc == fsimlib.fsim(ref, dist, chromatic=True), pair.fields
        assert record.fsim is not None
        assert record.fsim < 1.0


def test_plain_path_tuples_are_pairs(dataset: Dataset) -> None:
    tuples = [(str(pair.ref), pair.dist) for pair in dataset.good[:2]]
    from_tuples = outcomes(fsimlib.datasets.score_pairs(tuples))
    from_records = outcomes(fsimlib.datasets.score_pairs(dataset.good[:2]))
    assert from_tuples == from_records


EXPECTED_ERRORS = {
    "missing": "no such image file",
    "corrupt": "not a readable image",
    "shape": "images must have the same shape, got (48, 48) and (40, 40)",
    "channels": "images must have the same number of channels",
    "depth": "the reference is 8-bit but the distorted image is 16-bit",
    "no-ref": "no reference image for this pair (empty ref)",
    "ref-missing": "reference: no such image file",
}


def test_each_failure_is_a_record_with_its_reason(dataset: Dataset) -> None:
    records = sorted(fsimlib.datasets.score_pairs(dataset.pairs), key=lambda r: r.index)
    assert len(records) == len(dataset.pairs)
    assert all(record.ok for record in records[: len(dataset.good)])
    failed = records[len(dataset.good) :]
    for (name, pair), record in zip(dataset.bad.items(), failed, strict=True):
        assert record.pair is pair
        assert not record.ok
        assert record.fsim is None
        assert record.fsimc is None
        assert record.error is not None
        assert EXPECTED_ERRORS[name] in record.error, (name, record.error)
        assert "\n" not in record.error


def process_pool(workers: int) -> ProcessPoolExecutor:
    # Not fork: pytest's process may have threads, and forking them is unsafe.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@pytest.mark.parametrize("chunk_size", [1, 3])
@pytest.mark.parametrize(
    "make_executor",
    [lambda: ThreadPoolExecutor(2), lambda: process_pool(2)],
    ids=["threads", "processes"],
)
def test_executors_give_the_serial_results(
    dataset: Dataset, make_executor: Callable[[], Executor], chunk_size: int
) -> None:
    serial = outcomes(fsimlib.datasets.score_pairs(dataset.pairs))
    with make_executor() as executor:
        parallel = outcomes(
            fsimlib.datasets.score_pairs(
                dataset.pairs, executor=executor, chunk_size=chunk_size
            )
        )
    assert parallel == serial


class FailingExecutor(Executor):
    """An executor whose every task fails, as when a worker process dies."""

    def submit(self, _fn: Any, /, *_args: Any, **_kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("worker vanished"))
        return future


def test_a_failed_task_fails_its_rows_and_the_run_goes_on(dataset: Dataset) -> None:
    records = list(
        fsimlib.datasets.score_pairs(dataset.good, executor=FailingExecutor())
    )
    assert len(records) == len(dataset.good)
    for record in records:
        assert record.error == "worker failed: RuntimeError: worker vanished"


def test_each_reference_is_prepared_once_per_group(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[str] = []
    real = _pipeline._load_reference

    def counting(ref: str, options: fsimlib.FSIMOptions) -> Any:
        prepared.append(Path(ref).name)
        return real(ref, options)

    monkeypatch.setattr(_pipeline, "_load_reference", counting)
    _pipeline._cached_reference.cache_clear()
    list(fsimlib.datasets.score_pairs(dataset.good))
    assert sorted(prepared) == ["grey16.png", "grey8.png", "rgb8.png"]
    # With one pair per task, the worker's cache shares the preparation.
    prepared.clear()
    _pipeline._cached_reference.cache_clear()
    with ThreadPoolExecutor(1) as pool:
        list(fsimlib.datasets.score_pairs(dataset.good, executor=pool, chunk_size=1))
    assert sorted(prepared) == ["grey16.png", "grey8.png", "rgb8.png"]


def test_a_changed_reference_file_is_read_again(tmp_path: Path) -> None:
    image = data.camera()[:SIDE, :SIDE]
    ref, dist = tmp_path / "ref.png", tmp_path / "dist.png"
    iio.imwrite(dist, noisy(image, 10, 0))
    scores = []
    for version in (image, image[::-1]):
        iio.imwrite(ref, version)
        stamp = ref.stat().st_mtime_ns
        os.utime(ref, ns=(stamp, stamp + 10**9 * len(scores)))
        with ThreadPoolExecutor(1) as pool:
            (record,) = fsimlib.datasets.score_pairs([(ref, dist)], executor=pool)
        assert record.fsim == fsimlib.fsim(version, iio.imread(dist))
        scores.append(record.fsim)
    assert scores[0] != scores[1]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"executor": object()}, TypeError, "executor must be a concurrent.futures"),
        ({"chunk_size": 0}, ValueError, "chunk_size must be a positive int, got 0"),
        ({"chunk_size": True}, ValueError, "chunk_size must be a positive int"),
        ({"chunk_size": 2.0}, ValueError, "chunk_size must be a positive int"),
        (
            {"chunk_size": np.int64(-3)},
            ValueError,
            "chunk_size must be a positive int, got np.int64\\(-3\\)",
        ),
    ],
)
def test_bad_options(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.datasets.score_pairs([("a.png", "b.png")], **kwargs)


def test_bad_pair_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="pair 1 must be a PairRecord or a"):
        fsimlib.datasets.score_pairs([("a.png", "b.png"), "c.png"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("pair", "match"),
    [
        ((1, "b.png"), "pair 1: ref must be a str or os.PathLike path, got int 1"),
        (("a.png", None), "pair 1: dist must be a str or os.PathLike path, got"),
        (
            fsimlib.datasets.PairRecord("a.png", b"b.png"),  # type: ignore[arg-type]
            "pair 1: dist must be a str or os.PathLike path, got bytes",
        ),
    ],
)
def test_pair_of_non_paths_names_the_pair(pair: object, match: str) -> None:
    # Refused before anything is scored, naming the pair and the field,
    # rather than failing later inside os.fspath.
    with pytest.raises(TypeError, match=match):
        fsimlib.datasets.score_pairs([("a.png", "b.png"), pair])  # type: ignore[list-item]


@pytest.mark.parametrize("chunk_size", [np.int64(2), np.uint8(1)])
def test_numpy_chunk_size_is_taken(tmp_path: Path, chunk_size: object) -> None:
    image = np.zeros((32, 32), np.uint8)
    image[8:24, 8:24] = 200
    ref, dist = tmp_path / "ref.png", tmp_path / "dist.png"
    iio.imwrite(ref, image)
    iio.imwrite(dist, np.roll(image, 2, axis=1))
    with ThreadPoolExecutor(2) as pool:
        (record,) = fsimlib.datasets.score_pairs(
            [(ref, dist)],
            executor=pool,
            chunk_size=chunk_size,  # type: ignore[arg-type]
        )
    assert record.error is None
    assert record.fsim == fsimlib.fsim(image, np.roll(image, 2, axis=1))


# --------------------------------------------------------------------------
# ScoreFile


def records_for(
    pairs: list[fsimlib.datasets.PairRecord],
) -> list[fsimlib.datasets.ScoreRecord]:
    return [
        fsimlib.datasets.ScoreRecord(i, pair, 0.5 + i / 100, 0.4 + i / 100, None)
        for i, pair in enumerate(pairs)
    ]


PAIRS = [
    fsimlib.datasets.PairRecord(
        "r.png", f"d{i}.png", {"ref": "r.png", "dist": f"d{i}.png", "mos": str(i)}
    )
    for i in range(5)
]


def test_rows_are_appended_then_put_in_input_order(tmp_path: Path) -> None:
    table = fsimlib.datasets.ScoreFile(tmp_path / "out.csv", ["ref", "dist", "mos"])
    assert table.resume(PAIRS) == [0, 1, 2, 3, 4]
    records = records_for(PAIRS)
    for index in (3, 0, 4, 1, 2):
        table.write(records[index])
    appended = [row["dist"] for row in table.read()]
    assert appended == ["d3.png", "d0.png", "d4.png", "d1.png", "d2.png"]
    finished = table.finish(PAIRS)
    assert [row["dist"] for row in finished] == [f"d{i}.png" for i in range(5)]
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[0].startswith('# fsimlib 0.1.0 {"engine": ')
    assert lines[1] == "ref,dist,mos,fsim,fsimc,error"
    assert lines[2] == f"r.png,d0.png,0,{0.5!r},{0.4!r},"
    assert table.resume(PAIRS) == []


def test_a_line_cut_by_a_kill_is_dropped_and_redone(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    table = fsimlib.datasets.ScoreFile(path, ["ref", "dist", "mos"])
    table.resume(PAIRS)
    for record in records_for(PAIRS)[:3]:
        table.write(record)
    with path.open("a") as handle:
        handle.write("r.png,d3.png,3,0.53")  # no newline: the kill came here
    assert table.resume(PAIRS) == [3, 4]
    assert path.read_text().endswith("\n")
    assert len(table.read()) == 3


def test_a_quoted_field_cut_by_a_kill_keeps_earlier_rows(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    pairs = [
        fsimlib.datasets.PairRecord(
            "r.png", f"d{i}.png", {"note": f"line one\nline {i}"}
        )
        for i in range(3)
    ]
    table = fsimlib.datasets.ScoreFile(path, ["note"])
    table.resume(pairs)
    for record in records_for(pairs)[:2]:
        table.write(record)
    with path.open("a") as handle:
        handle.write('"line one\nli')  # cut inside the quoted field
    assert table.resume(pairs) == [2]
    assert [row["note"] for row in table.read()] == [
        "line one\nline 0",
        "line one\nline 1",
    ]


def test_identical_input_rows_are_matched_one_to_one(tmp_path: Path) -> None:
    twice = [PAIRS[0], PAIRS[1], PAIRS[0]]
    table = fsimlib.datasets.ScoreFile(tmp_path / "out.csv", ["ref", "dist", "mos"])
    table.resume(twice)
    table.write(records_for(twice)[0])
    assert table.resume(twice) == [1, 2]
    table.write(records_for(twice)[2])
    assert table.resume(twice) == [1]
    table.write(records_for(twice)[1])
    assert [row["dist"] for row in table.finish(twice)] == [
        "d0.png",
        "d1.png",
        "d0.png",
    ]


def test_retry_errors_drops_failed_rows(tmp_path: Path) -> None:
    table = fsimlib.datasets.ScoreFile(tmp_path / "out.csv", ["ref", "dist", "mos"])
    table.resume(PAIRS)
    for record in records_for(PAIRS)[:2]:
        table.write(record)
    table.write(
        fsimlib.datasets.ScoreRecord(2, PAIRS[2], None, None, "no such image file")
    )
    assert table.resume(PAIRS) == [3, 4]
    assert table.resume(PAIRS, retry_errors=True) == [2, 3, 4]
    assert len(table.read()) == 2


def test_an_output_of_another_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("a,b\n1,2\n")
    table = fsimlib.datasets.ScoreFile(path, ["ref", "dist", "mos"])
    with pytest.raises(ValueError, match="exists with columns"):
        table.resume(PAIRS)
    fsimlib.datasets.ScoreFile(path, ["ref", "dist", "mos"])
    path.unlink()
    table.resume(PAIRS[:2])
    table.write(records_for(PAIRS)[1])
    with pytest.raises(ValueError, match=r"1 row\(s\) that are not in the pairs table"):
        table.resume(PAIRS[2:])
    assert path.read_text().count("\n") == 3, "a refused resume must not touch the file"


# --------------------------------------------------------------------------
# read_pairs_csv and pair_folders


def test_pairs_csv_paths_are_relative_to_the_csv(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    folder.mkdir()
    table = folder / "pairs.csv"
    table.write_text("\ufeffref,dist,mos\nimg/r.png,/abs/d.png,4.5\n, d2.png ,3\n")
    columns, pairs = fsimlib.datasets.read_pairs_csv(table)
    assert columns == ["ref", "dist", "mos"]
    assert Path(pairs[0].ref) == folder.resolve() / "img" / "r.png"
    assert Path(pairs[0].dist) == Path("/abs/d.png")
    assert pairs[0].fields == {"ref": "img/r.png", "dist": "/abs/d.png", "mos": "4.5"}
    assert pairs[1].ref == ""
    assert Path(pairs[1].dist) == folder.resolve() / "d2.png"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("reference,dist\na,b\n", "must have columns 'ref' and 'dist'.*missing 'ref'"),
        ("ref,dist,fsim\na,b,1\n", "already has column\\(s\\) 'fsim'"),
        ("ref,dist,x\na,b\n", "line 2: expected 3 fields"),
        ("ref,dist,ref\na,b,c\n", "repeated column names"),
    ],
)
def test_bad_pairs_csv(tmp_path: Path, text: str, match: str) -> None:
    table = tmp_path / "pairs.csv"
    table.write_text(text)
    with pytest.raises(ValueError, match=match):
        fsimlib.datasets.read_pairs_csv(table)


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def shown(pairs: list[fsimlib.datasets.PairRecord]) -> list[tuple[str, str]]:
    return [(pair.fields["ref"], pair.fields["dist"]) for pair in pairs]


def test_folder_rule_tid2013_and_csiq_layouts(tmp_path: Path) -> None:
    touch(tmp_path, "tid/ref/I01.BMP", "tid/ref/I02.BMP", "tid/ref/readme.txt")
    touch(
        tmp_path,
        "tid/dist/i01_01_1.bmp",
        "tid/dist/I02_24_5.BMP",
        "tid/dist/i03_01_1.bmp",
    )
    tid = fsimlib.datasets.pair_folders(
        tmp_path / "tid/ref", tmp_path / "tid/dist", relative_to=tmp_path
    )
    assert shown(tid) == [
        ("tid/ref/I02.BMP", "tid/dist/I02_24_5.BMP"),
        ("tid/ref/I01.BMP", "tid/dist/i01_01_1.bmp"),
        ("", "tid/dist/i03_01_1.bmp"),
    ]
    assert tid[0].ref == os.fspath((tmp_path / "tid/ref/I02.BMP").resolve())
    touch(
        tmp_path,
        "csiq/src/1600.png",
        "csiq/dst/awgn/1600.AWGN.1.png",
        "csiq/dst/blur/1600.BLUR.5.png",
    )
    csiq = fsimlib.datasets.pair_folders(
        tmp_path / "csiq/src", tmp_path / "csiq/dst", relative_to=tmp_path / "csiq"
    )
    assert shown(csiq) == [
        ("src/1600.png", "dst/awgn/1600.AWGN.1.png"),
        ("src/1600.png", "dst/blur/1600.BLUR.5.png"),
    ]


def test_folder_rule_longest_name_wins_and_needs_a_separator(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "img1.png",
        "img10.png",
        "d/img10_jpeg.png",
        "d/img1-blur.png",
        "d/img100.png",
        "d/img1.png",
    )
    pairs = fsimlib.datasets.pair_folders(
        tmp_path, tmp_path / "d", relative_to=tmp_path
    )
    assert shown(pairs) == [
        ("img1.png", "d/img1-blur.png"),
        ("img1.png", "d/img1.png"),
        ("", "d/img100.png"),
        ("img10.png", "d/img10_jpeg.png"),
    ]


def test_folder_rule_in_one_folder_skips_the_references(tmp_path: Path) -> None:
    touch(tmp_path, "a.png", "a_blur.png", "b.png")
    pairs = fsimlib.datasets.pair_folders(tmp_path, tmp_path)
    assert [(Path(p.ref).name, Path(p.dist).name) for p in pairs] == [
        ("a.png", "a_blur.png")
    ]
    assert Path(pairs[0].fields["dist"]).is_absolute()


def test_folder_rule_errors(tmp_path: Path) -> None:
    touch(tmp_path, "r/x.png", "r/X.bmp")
    with pytest.raises(ValueError, match="have the same name"):
        fsimlib.datasets.pair_folders(tmp_path / "r", tmp_path / "r")
    with pytest.raises(ValueError, match=r"distorted folder .* does not exist"):
        fsimlib.datasets.pair_folders(tmp_path, tmp_path / "nope")


# --------------------------------------------------------------------------
# dask


@pytest.mark.e2e
@pytest.mark.needs_extras
def test_dask_executor_gives_the_serial_results(dataset: Dataset) -> None:
    import distributed  # the 'dask' extra, which the 'test' extra installs

    serial = outcomes(fsimlib.datasets.score_pairs(dataset.pairs))
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = client.get_executor()
        records = fsimlib.datasets.score_pairs(
            dataset.pairs, executor=executor, chunk_size=2
        )
        on_dask = outcomes(records)
        workers = client.run(os.getpid)
    assert len(set(workers.values())) == 2, "two worker processes"
    assert on_dask == serial


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 1000])
@pytest.mark.parametrize("workers", [1, 3])
def test_results_do_not_depend_on_workers_or_chunk_size(
    dataset: Dataset, workers: int, chunk_size: int
) -> None:
    serial = outcomes(fsimlib.datasets.score_pairs(dataset.pairs))
    with ThreadPoolExecutor(workers) as pool:
        records = fsimlib.datasets.score_pairs(
            dataset.pairs, executor=pool, chunk_size=chunk_size
        )
        assert outcomes(records) == serial


def _paths(count: int) -> list[str]:
    return [f"image{i}.png" for i in range(count)]


def test_chunks_follow_the_pools_worker_count() -> None:
    with ThreadPoolExecutor(3) as pool:
        assert _pipeline._workers_of(pool) == 3
    assert _pipeline._workers_of(FailingExecutor()) == 1


@pytest.mark.parametrize(
    ("max_workers", "workers"),
    [(np.int64(3), 3), (True, 1), (0, 1), (-2, 1), (2.5, 1), ("4", 1)],
)
def test_only_a_positive_whole_number_is_a_worker_count(
    max_workers: object, workers: int
) -> None:
    executor = FailingExecutor()
    executor._max_workers = max_workers  # type: ignore[attr-defined]
    assert _pipeline._workers_of(executor) == workers


class AsyncClientLike:
    """An asynchronous dask client: ``nthreads()`` gives a coroutine."""

    async def _count(self) -> dict[str, int]:
        return {"tcp://a": 4}

    def nthreads(self) -> Any:
        return self._count()


def test_an_asynchronous_client_counts_as_one_worker_without_a_warning() -> None:
    # A coroutine left unawaited would warn when collected (an error here).
    executor = FailingExecutor()
    executor._client = AsyncClientLike()  # type: ignore[attr-defined]
    assert _pipeline._workers_of(executor) == 1
    gc.collect()


class ClientLike:
    """What a dask client's executor keeps: a client that counts threads."""

    def __init__(self, nthreads: dict[str, int] | Exception) -> None:
        self._nthreads = nthreads

    def nthreads(self) -> dict[str, int]:
        if isinstance(self._nthreads, Exception):
            raise self._nthreads
        return self._nthreads


@pytest.mark.parametrize(
    ("nthreads", "workers"),
    [({"tcp://a": 2, "tcp://b": 4}, 6), ({}, 1), (OSError("gone"), 1)],
)
def test_chunks_follow_a_clients_thread_count(
    nthreads: dict[str, int] | Exception, workers: int
) -> None:
    executor = FailingExecutor()
    executor._client = ClientLike(nthreads)  # type: ignore[attr-defined]
    assert _pipeline._workers_of(executor) == workers


class UnansweringClient:
    """A client whose thread count is a property that raises."""

    @property
    def nthreads(self) -> Callable[[], dict[str, int]]:
        msg = "the scheduler is gone"
        raise OSError(msg)


class Unanswering(Executor):
    """Runs tasks on a pool, but its worker count, or client, raises when asked."""

    def __init__(self, broken: str) -> None:
        self._pool = ThreadPoolExecutor(2)
        self._broken = broken

    @property
    def _max_workers(self) -> int:
        if self._broken == "_max_workers":
            msg = "the count is not available"
            raise RuntimeError(msg)
        return 0

    @property
    def _client(self) -> UnansweringClient:
        if self._broken == "_client":
            msg = "the client is closed"
            raise RuntimeError(msg)
        return UnansweringClient()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait, cancel_futures=cancel_futures)


@pytest.mark.parametrize("broken", ["_max_workers", "_client", "nthreads"])
def test_a_worker_count_that_raises_is_no_error(dataset: Dataset, broken: str) -> None:
    # The count only sizes the chunks: asking for it never stops a run.
    serial = outcomes(fsimlib.datasets.score_pairs(dataset.pairs))
    with Unanswering(broken) as pool:
        assert _pipeline._workers_of(pool) == 1
        records = fsimlib.datasets.score_pairs(dataset.pairs, executor=pool)
        assert outcomes(records) == serial


class RecordingReader:
    """Stands in for read_image: records which paths were asked for."""

    def __init__(self, failing: str | None = None) -> None:
        self.asked: list[str] = []
        self.failing = failing

    def __call__(self, path: str) -> fsimlib.LoadedImage:
        self.asked.append(path)
        if path == self.failing:
            msg = f"{path}: broken"
            raise ValueError(msg)
        index = int(path.removeprefix("image").removesuffix(".png"))
        return fsimlib.LoadedImage(np.full((2, 2), index, np.uint8), 255.0)


def test_read_ahead_reads_in_order_at_most_depth_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = RecordingReader(failing="image3.png")
    monkeypatch.setattr(_pipeline, "read_image", reader)
    paths = _paths(6)
    with _pipeline._read_ahead(paths, depth=2) as images:
        first = next(images)
        assert int(first.result().array[0, 0]) == 0
        # Taking the first submitted the third; nothing beyond it yet.
        second = next(images)
        second.result()
        assert reader.asked[:2] == paths[:2]
        assert len(reader.asked) <= 4
        rest = list(images)
    assert reader.asked == paths
    assert [int(f.result().array[0, 0]) for f in (rest[0], rest[2], rest[3])] == [
        2,
        4,
        5,
    ]
    with pytest.raises(ValueError, match=r"image3\.png: broken"):
        rest[1].result()


def test_read_ahead_stops_reading_when_left_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = RecordingReader()
    monkeypatch.setattr(_pipeline, "read_image", reader)
    with _pipeline._read_ahead(_paths(50), depth=2) as images:
        next(images).result()
    # The one taken, the two read ahead, and the one submitted on taking.
    assert len(reader.asked) <= 3


def test_a_failed_read_is_that_pairs_error_only(dataset: Dataset) -> None:
    # The corrupt file sits between good ones of the same reference.
    ref8 = dataset.root / "grey8.png"
    pairs = [
        fsimlib.datasets.PairRecord(ref8, dataset.root / "grey8_n0.png"),
        fsimlib.datasets.PairRecord(ref8, dataset.root / "corrupt.png"),
        fsimlib.datasets.PairRecord(ref8, dataset.root / "grey8_n2.png"),
    ]
    records = outcomes(fsimlib.datasets.score_pairs(pairs))
    assert records[0][3] is None
    assert records[2][3] is None
    assert "not a readable image" in records[1][3]
    ref, _ = fsimlib.read_image(ref8)
    dist, _ = fsimlib.read_image(dataset.root / "grey8_n2.png")
    assert records[2][1] == fsimlib.fsim(ref, dist)
