"""How pairs are cut into tasks: reference-grouped, guided chunks.

A task scores distorted images of one reference, so that the reference is
prepared once per task.  Big tasks cost less (each has a fixed cost: the
hand-off to a worker, a reader thread, a first image decoded before any
scoring can start); small ones balance better at the end of a run, when
one long task can leave the other workers idle.  The plan takes both:
each chunk holds at most ``ceil(remaining / (CHUNKS_PER_WORKER *
workers))`` pairs (guided self-scheduling), capped at ``chunk_size``, so
that chunks are big while much work remains and shrink to single pairs
at the tail.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ._records import PairRecord

__all__ = ["CHUNKS_PER_WORKER", "Task", "group_by_reference", "plan_tasks"]

#: A task: a reference path and the (position, distorted path) of its pairs.
Task = tuple[str, list[tuple[int, str]]]

#: Chunks the remaining pairs are cut into, per worker, as the plan goes.
CHUNKS_PER_WORKER = 2


def group_by_reference(pairs: Sequence[PairRecord]) -> list[Task]:
    """One task per reference (in order of first appearance), all its pairs."""
    by_reference: dict[str, list[tuple[int, str]]] = {}
    for position, pair in enumerate(pairs):
        by_reference.setdefault(os.fspath(pair.ref), []).append(
            (position, os.fspath(pair.dist))
        )
    return list(by_reference.items())


def plan_tasks(
    pairs: Sequence[PairRecord], chunk_size: int, workers: int
) -> list[Task]:
    """Tasks of at most ``chunk_size`` pairs of one reference, shrinking at the end.

    Every pair is in exactly one task; tasks keep the pairs' order within
    a reference and the references' order of first appearance.
    """
    remaining = len(pairs)
    share = CHUNKS_PER_WORKER * max(1, workers)
    tasks: list[Task] = []
    for ref, members in group_by_reference(pairs):
        start = 0
        while start < len(members):
            step = min(chunk_size, max(1, -(-remaining // share)))
            chunk = members[start : start + step]
            tasks.append((ref, chunk))
            start += len(chunk)
            remaining -= len(chunk)
    return tasks
