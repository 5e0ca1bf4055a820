"""Search by example: the documents most like, and least like, a few chosen ones.

A curator who has found a handful of documents of a kind (a box on the map, a search's
hits, everything labelled `spam`) asks for *more like these* to find the rest of the kind,
and for *least like these* to find what the seeds miss. Both compare every candidate with
one query: the normalised centroid of the examples' stored vectors (cosine in `_score`).

Why the centroid and not the best match over the examples (max-sim): one query costs the
same for 3 examples or 30,000 (a whole cluster), and it asks for what the examples share,
so a stray example or a near-duplicate pair among them does not pull in its own
neighbourhood. "Least like" is only meaningful against one centre.

- `more_like`: FAISS's nearest documents to the centroid, restricted to the allowed ids
  exactly as `Workspace.search` restricts a text query; the examples never come back.
- `least_like`: the lowest similarity to the centroid, by one pass over every candidate's
  vector batch by batch (the FAISS index's own copy when it holds them plainly, else the
  stored column; bounded memory at a million rows), among the allowed ids or, with
  `among="examples"`, among the examples themselves (the outliers of a labelled set).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import SelectionError, SettingError
from indexing.vectors.stored import not_embedded, vector_batches, vector_matrix
from indexing.workspace.sql import sql_in

AMONG = ("filter", "examples")
EXAMPLE_CHUNK = 1_000  # example ids per read (one `id IN (...)` filter each)
INDEX_BATCH = 16_384  # rows per product in a pass over the index's vectors (a filtered batch is a 25 MB copy at 384-d)
ASK_PAST = 1_000  # more examples than this: search all but them, not k + examples hits (an HNSW's cost grows with k)


def _examples(examples: Sequence[str] | str) -> list[str]:
    """The example ids, deduplicated in order; SelectionError when there are none."""
    if isinstance(examples, str):
        examples = [examples]
    chosen = list(dict.fromkeys(str(i) for i in examples))
    if not chosen:
        raise SelectionError("no example documents given; select some documents (their ids) to search by example")
    return chosen


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SettingError(f"k must be a whole number of at least 1, not {k!r}")
    return int(k)


def _example_chunks(workspace, examples: list[str]):
    """(ids, vectors) of the examples, a chunk of EXAMPLE_CHUNK at a time (stored vectors)."""
    for start in range(0, len(examples), EXAMPLE_CHUNK):
        chunk = examples[start:start + EXAMPLE_CHUNK]
        table = workspace.store.read_docs(where=sql_in("id", chunk), columns=["id", "vector"])
        yield table.column("id").combine_chunks(), vector_matrix(table, lambda n: not_embedded(workspace.root, n))


def centroid(workspace, examples: Sequence[str] | str) -> np.ndarray:
    """The unit-length mean of the examples' stored vectors; SelectionError naming the ids
    that are not in the workspace, or when the examples cancel out."""
    chosen = _examples(examples)
    total, found = None, set()
    for ids, vectors in _example_chunks(workspace, chosen):
        found.update(ids.to_pylist())
        part = vectors.astype(np.float64).sum(axis=0)
        total = part if total is None else total + part
    unknown = [i for i in chosen if i not in found]
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:5]) + (f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else "")
        raise SelectionError(f"{len(unknown):,} example id(s) are not documents of {workspace.root}: {shown}; "
                             "pick examples among the workspace's ids (ws.select(...) lists them)")
    norm = float(np.linalg.norm(total))
    if not np.isfinite(norm) or norm < 1e-9:
        raise SelectionError("the examples' vectors cancel out (their mean is zero); choose examples with "
                             "something in common")
    return (total / norm).astype(np.float32)


def more_like(workspace, examples: Sequence[str] | str, k: int = 10,
              allowed: Sequence[str] | None = None) -> tuple[list[str], list[float]]:
    """The ids and cosine similarities of the `k` documents nearest the examples' centroid,
    best first, the examples left out; among `allowed` ids when given (None: all)."""
    k, chosen = _check_k(k), _examples(examples)
    query = centroid(workspace, chosen)
    index = workspace.vector_index()
    skip = set(chosen)
    if allowed is None and len(skip) > ASK_PAST:  # a whole cluster of examples: search all but them
        allowed = np.setdiff1d(np.arange(len(index.ids)), [index.positions[i] for i in skip if i in index.positions])
        scores, positions = index.search(query, k, allowed)
    elif allowed is not None:
        allowed = np.array([index.positions[i] for i in allowed if i not in skip and i in index.positions],
                           dtype=np.int64)
        scores, positions = index.search(query, k, allowed)
    else:  # the examples are among the nearest: ask for enough to leave them out
        scores, positions = index.search(query, k + len(skip))
    hits = [(index.ids[p], float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0 and index.ids[p] not in skip]
    hits = hits[:k]
    return [h[0] for h in hits], [h[1] for h in hits]


def least_like(workspace, examples: Sequence[str] | str, k: int = 10, allowed: Sequence[str] | None = None,
               among: str = "filter") -> tuple[list[str], list[float]]:
    """The ids and cosine similarities of the `k` documents farthest from the examples'
    centroid (lowest similarity first). `among="filter"`: the allowed documents (None:
    all), the examples left out, by one batched pass over their vectors; `among="examples"`: the examples themselves (the outliers of a labelled set),
    within `allowed` when given."""
    if among not in AMONG:
        raise SettingError(f"among must be one of {', '.join(AMONG)}, not {among!r}")
    k, chosen = _check_k(k), _examples(examples)
    query = centroid(workspace, chosen)
    if among == "examples":
        keep = None if allowed is None else set(allowed)
        batches = _example_chunks(workspace, [i for i in chosen if keep is None or i in keep])
        skip = None
    else:
        batches, skip = _candidate_batches(workspace, allowed, chosen)
    best_ids: list[str] = []
    best_scores = np.empty(0, np.float32)
    for keys, vectors in batches:
        scores = vectors @ query
        if skip is not None:
            scores[skip(keys)] = np.inf  # an example is never among the least like
        low = np.argsort(scores, kind="stable")[:k]
        low = low[np.isfinite(scores[low])]
        merged = np.concatenate([best_scores, scores[low]])
        order = np.argsort(merged, kind="stable")[:k]
        merged_ids = best_ids + _names(workspace, keys, low)
        best_ids, best_scores = [merged_ids[i] for i in order], merged[order]
    return best_ids, [float(s) for s in best_scores]


def _names(workspace, keys, rows: np.ndarray) -> list[str]:
    """The ids of `rows` of a batch whose keys are ids (Arrow) or FAISS positions (numpy)."""
    if isinstance(keys, np.ndarray):
        ids = workspace.vector_index().ids
        return [ids[int(p)] for p in keys[rows]]
    return keys.take(pa.array(rows, pa.int64())).to_pylist()


def _candidate_batches(workspace, allowed: Sequence[str] | None, chosen: list[str]):
    """(keys, vectors) per batch of the candidates, and the function that marks examples in
    a batch's keys. From the FAISS index's own memory when it stores the vectors plainly (no
    disk, no copy but a filtered batch; benchmarks/by_example.py); else the stored
    `docs.vector` column, read batch by batch (stored.vector_batches)."""
    index = workspace.vector_index()
    matrix = index.flat_vectors()
    if matrix is None:
        examples = pa.array(chosen, pa.string())
        return vector_batches(workspace.store, allowed), \
            (lambda ids: pc.is_in(ids, value_set=examples).to_numpy(zero_copy_only=False))
    taken = np.sort(np.array([index.positions[i] for i in chosen if i in index.positions], np.int64))
    positions = None if allowed is None else \
        np.sort(np.array([index.positions[i] for i in allowed if i in index.positions], np.int64))

    def batches():
        total = len(matrix) if positions is None else len(positions)
        for start in range(0, total, INDEX_BATCH):
            if positions is None:
                keys = np.arange(start, min(total, start + INDEX_BATCH))
                yield keys, matrix[start:start + INDEX_BATCH]
            else:
                keys = positions[start:start + INDEX_BATCH]
                yield keys, matrix[keys]

    return batches(), (lambda keys: np.isin(keys, taken))
