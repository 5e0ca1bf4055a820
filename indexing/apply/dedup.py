"""Global dedup of an applied run: `dup_group` and `dup_keep` for every document read.

Dedup in a recipe is global, as in the workspace: a document's duplicate may come a
billion documents later. Exact dedup is one streaming pass: each task adds its keys to a
SQLite table (work.py) that keeps, per key, the first position, the count and the best
member by the keep rule; near (MinHash) and semantic dedup need every signature or vector
at once, so pass 1 writes them into the scored files and they are gathered here into
memory-mapped arrays on disk, then grouped by the workspace's own functions (the same
groups, so the same ids are kept). Results are two memory-mapped arrays by position.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
from numpy.lib.format import open_memmap

from indexing.apply.scoring import EXACT_COLUMN, MINHASH_COLUMN, VECTOR_COLUMN, WORDS_COLUMN
from indexing.apply.work import WorkFolder
from indexing.curate.dedup.groups import NO_GROUP, kept_members
from indexing.progress import Reporter
from indexing.recipes.recipe import Dedup

def rank_column(dedup: Dedup) -> str | None:
    """The column the keep rule maximises (None: the first is kept)."""
    return {"longest": "chars", "score": dedup.score_column}.get(dedup.keep)


def _gather(work: WorkFolder, tasks, column: str, shape_of, dtype, name: str) -> np.ndarray:
    """One column of every scored file into a memory-mapped array by position."""
    total = sum(t.rows for t in tasks)
    out = None
    for task in tasks:
        if task.rows == 0:
            continue
        values = shape_of(pq.read_table(work.scored_path(task.name), columns=[column])[column].combine_chunks())
        if out is None:
            out = open_memmap(work.array_path(name), mode="w+", dtype=dtype, shape=(total, *values.shape[1:]))
        out[task.first_pos:task.first_pos + task.rows] = values
    return out if out is not None else np.empty((0,), dtype=dtype)


def _ranks(work: WorkFolder, tasks, dedup: Dedup) -> np.ndarray | None:
    column = rank_column(dedup)
    if column is None:
        return None
    return _gather(work, tasks, column, lambda a: a.cast("float64").to_numpy(zero_copy_only=False), np.float64,
                   "rank")


def resolve(work: WorkFolder, tasks, dedup: Dedup, progress: Reporter) -> tuple[np.ndarray, np.ndarray]:
    """(dup_group int64 with NO_GROUP for none, dup_keep bool) per position."""
    total = sum(t.rows for t in tasks)
    if dedup.method == "exact":
        return _exact(work, tasks, total, progress)
    ranks = _ranks(work, tasks, dedup)
    if dedup.method == "minhash":
        from indexing.curate.dedup.minhash import groups_from_signatures

        def as_rows(array):
            return np.frombuffer(array.buffers()[1], dtype="<u4", count=len(array) * dedup.num_perm,
                                 offset=array.offset * 4 * dedup.num_perm).reshape(len(array), dedup.num_perm)

        values = _gather(work, tasks, MINHASH_COLUMN, as_rows, np.uint32, "minhash")
        words = _gather(work, tasks, WORDS_COLUMN, lambda a: a.to_numpy(zero_copy_only=False), bool, "has_words")
        groups = groups_from_signatures(values.reshape(total, dedup.num_perm), words, dedup.threshold, dedup.seed,
                                        progress)
    else:
        from indexing.curate.dedup.semantic import default_clusters, semantic_groups

        def as_matrix(array):
            return array.values.to_numpy(zero_copy_only=False).reshape(len(array), -1).astype(np.float32)

        matrix = _gather(work, tasks, VECTOR_COLUMN, as_matrix, np.float32, "vectors")
        groups = semantic_groups(np.asarray(matrix), eps=round(1.0 - dedup.threshold, 12),
                                 clusters=default_clusters(total), progress=progress)
    return np.asarray(groups, dtype=np.int64), kept_members(groups, ranks)


def _exact(work: WorkFolder, tasks, total: int, progress: Reporter) -> tuple[np.ndarray, np.ndarray]:
    """Every document's group and keep from the SQLite key table, task by task."""
    groups = open_memmap(work.array_path("dup_group"), mode="w+", dtype=np.int64, shape=(total,))
    keep = open_memmap(work.array_path("dup_keep"), mode="w+", dtype=bool, shape=(total,))
    with progress.stage("dedup", total) as advance:
        for task in tasks:
            if task.rows == 0:
                continue
            keys = pq.read_table(work.scored_path(task.name), columns=[EXACT_COLUMN])[EXACT_COLUMN].to_pylist()
            found = work.exact_lookup(keys)
            positions = np.arange(task.first_pos, task.first_pos + task.rows)
            first = np.array([found[k][0] for k in keys], dtype=np.int64)
            count = np.array([found[k][1] for k in keys], dtype=np.int64)
            best = np.array([found[k][2] for k in keys], dtype=np.int64)
            groups[positions] = np.where(count > 1, first, NO_GROUP)
            keep[positions] = (count == 1) | (best == positions)
            advance(task.rows)
    return groups, keep
