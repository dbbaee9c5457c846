"""How score_pairs cuts pairs into tasks (fsimlib.datasets._chunks)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsimlib.datasets import PairRecord
from fsimlib.datasets._chunks import CHUNKS_PER_WORKER, plan_tasks


def pairs_of(counts: list[int]) -> list[PairRecord]:
    """``counts[k]`` distorted images of reference ``k``, references interleaved."""
    pairs = []
    for level in range(max(counts, default=0)):
        for reference, count in enumerate(counts):
            if level < count:
                pairs.append(PairRecord(f"r{reference}", f"d{reference}_{level}"))
    return pairs


@given(
    counts=st.lists(st.integers(1, 300), min_size=1, max_size=12),
    chunk_size=st.integers(1, 100),
    workers=st.integers(1, 8),
)
def test_every_pair_once_in_order_one_reference_per_task(
    counts: list[int], chunk_size: int, workers: int
) -> None:
    pairs = pairs_of(counts)
    tasks = plan_tasks(pairs, chunk_size, workers)
    positions = [position for _, members in tasks for position, _ in members]
    assert sorted(positions) == list(range(len(pairs)))
    for ref, members in tasks:
        assert 1 <= len(members) <= chunk_size
        for position, dist in members:
            assert str(pairs[position].ref) == ref
            assert str(pairs[position].dist) == dist
        within = [position for position, _ in members]
        assert within == sorted(within)


@given(
    counts=st.lists(st.integers(1, 300), min_size=1, max_size=12),
    chunk_size=st.integers(1, 100),
    workers=st.integers(1, 8),
)
def test_no_task_outweighs_the_work_left_after_it(
    counts: list[int], chunk_size: int, workers: int
) -> None:
    # Guided chunks: a task holds at most a 1/(2w) share of what is left
    # when it is planned, so the last tasks are short.
    tasks = plan_tasks(pairs_of(counts), chunk_size, workers)
    left = sum(counts)
    for _, members in tasks:
        assert len(members) <= max(1, math.ceil(left / (CHUNKS_PER_WORKER * workers)))
        left -= len(members)
    assert left == 0


@pytest.mark.parametrize(
    ("counts", "chunk_size", "workers", "sizes"),
    [
        # 2 x 125 pairs, 2 workers: ceil(250 / 4) = 63, ceil(187 / 4) = 47, the
        # rest of the first reference (15), ceil(125 / 4) = 32, ...
        (
            [125, 125],
            64,
            2,
            [63, 47, 15, 32, 24, 18, 13, 10, 7, 6, 4, 3, 2, 2, 1, 1, 1, 1],
        ),
        # Capped at chunk_size while much is left.
        ([40], 8, 1, [8, 8, 8, 8, 4, 2, 1, 1]),
        ([5], 64, 4, [1, 1, 1, 1, 1]),
    ],
)
def test_chunk_sizes(
    counts: list[int], chunk_size: int, workers: int, sizes: list[int]
) -> None:
    tasks = plan_tasks(pairs_of(counts), chunk_size, workers)
    assert [len(members) for _, members in tasks] == sizes
