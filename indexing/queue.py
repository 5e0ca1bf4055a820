"""The labelling queue: which unlabelled document the curator sees next.

Random order gives an unbiased sample of the selection; "nearest" puts first the
documents most similar to ones already labelled, which finds more of a rare kind
(a spam template, a boilerplate page) once a few examples are labelled.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

ORDERS = ("random", "nearest")
MAX_QUERIES = 256  # the most recently labelled documents that steer "nearest"


def labelling_queue(
    workspace, candidates: Sequence[str], name: str, order: str = "random", seed: int = 0, limit: int = 200
) -> list[str]:
    """Up to `limit` ids of `candidates` that have no current `name` label, in `order`."""
    if order not in ORDERS:
        raise ValueError(f"unknown queue order {order!r}; choose one of {', '.join(ORDERS)}")
    labelled = workspace.labels.current(name)["doc_id"].to_pylist()
    done = set(labelled)
    shuffled = _random_unlabelled(candidates, done, seed, limit)
    if order == "random" or not labelled or not shuffled:
        return shuffled
    index = workspace.vector_index()
    steering = [index.positions[i] for i in labelled[-MAX_QUERIES:] if i in index.positions]
    allowed = np.array([index.positions[i] for i in dict.fromkeys(candidates)
                        if i not in done and i in index.positions], dtype=np.int64)
    if not steering or not len(allowed):
        return shuffled
    queries = np.vstack([index.index.reconstruct(int(p)) for p in steering]).astype(np.float32)
    scores, positions = index.search(queries, min(limit, len(allowed)), allowed)
    best: dict[int, float] = {}
    for p, s in zip(positions.ravel(), scores.ravel()):
        if p >= 0 and s > best.get(int(p), -np.inf):
            best[int(p)] = float(s)
    nearest = [index.ids[p] for p in sorted(best, key=best.get, reverse=True)]
    chosen = set(nearest)
    return (nearest + [i for i in shuffled if i not in chosen])[:limit]


def _random_unlabelled(candidates: Sequence[str], done: set[str], seed: int, limit: int) -> list[str]:
    """`limit` unlabelled candidates in a seeded random order, without walking all of
    a million candidates when the first few hundred suffice."""
    found: dict[str, None] = {}
    if limit <= 0:
        return []
    for i in np.random.default_rng(seed).permutation(len(candidates)):
        doc_id = candidates[int(i)]
        if doc_id not in done:
            found[doc_id] = None
            if len(found) == limit:
                break
    return list(found)
