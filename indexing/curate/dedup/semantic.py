"""Semantic duplicates, as in SemDeDup (Abbas et al. 2023): same meaning, other words.

The normalised embeddings are split into k-means clusters (FAISS, spherical, the
same `indexing.vectors.clustering.kmeans` that names the map's topics); within each
cluster every pair with cosine similarity >= 1 - eps is a duplicate pair, found
by a blocked matrix product (a block of rows against the rest of the cluster, so
memory stays bounded whatever the cluster's size). Groups are the connected
components of those pairs. Comparing only within clusters is what makes it
scale: n^2/k products instead of n^2; a pair split across two clusters is missed,
which at eps = 0.05 (two vectors very close together) is rare. Up to 10,000 documents
there is one cluster by default: every pair is compared, which takes about a second.

On a GPU (`indexing.vectors.devices`), k-means runs there and the pairs of a cluster are
found by nearest-neighbour search on a GPU flat index (`search_pairs`): the same pairs as
the product, so the same groups. Passing `flat=faiss.IndexFlatIP` runs that path on the CPU.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from indexing.vectors import devices
from indexing.vectors.clustering import choose_k, kmeans
from indexing.progress import Quiet, Reporter
from indexing.curate.dedup.groups import groups_from_pairs, star_edges

BLOCK_VALUES = 1 << 24  # similarities computed per matrix-product step (64 MB of float32)
CLUSTER_SIZE = 5_000  # default clusters hold about this many documents at most, on average
ALL_PAIRS_UP_TO = 10_000  # below this, one cluster: every pair compared (about a second), nothing missed
FIRST_K = 32  # neighbours asked per row first; rows with more close ones ask again with 4x
MAX_K = 1024  # beyond this (GPU flat search takes at most 2048) a row is compared by product


def default_clusters(n: int) -> int:
    """One cluster (all pairs) up to ALL_PAIRS_UP_TO documents; above, as many as the map's
    topics (about sqrt(n/4)), and more for big corpora so that an average cluster holds at
    most CLUSTER_SIZE documents."""
    if n <= ALL_PAIRS_UP_TO:
        return 1
    return max(choose_k(n), math.ceil(n / CLUSTER_SIZE))


def check_eps(eps: float) -> None:
    if not (isinstance(eps, (int, float)) and 0.0 < eps < 1.0):
        raise ValueError(f"eps must be in (0, 1) (pairs with cosine >= 1 - eps are duplicates), not {eps!r}")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 copies of the rows scaled to length 1 (a zero row stays zero)."""
    x = np.asarray(vectors)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"vectors must be a 2-d array (documents x dimensions), not of shape {x.shape}")
    x = np.array(x, dtype=np.float32, order="C")
    if not np.isfinite(x).all():
        raise ValueError("vectors hold NaN or infinite values")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return x


def close_pairs(x: np.ndarray, threshold: float) -> np.ndarray:
    """(m, 2) pairs i < j of rows of `x` (unit rows) with x_i . x_j >= threshold."""
    n = len(x)
    block = int(min(max(BLOCK_VALUES // max(n, 1), 64), n))
    found: list[np.ndarray] = []
    held = 0
    for start in range(0, n, block):
        stop = min(start + block, n)
        sims = x[start:stop] @ x[start:].T  # rows start..stop against columns start..n
        sims[:, : stop - start][np.tril_indices(stop - start)] = -np.inf  # i < j only
        rows, cols = np.nonzero(sims >= threshold)
        if len(rows):
            found.append(np.stack([rows + start, cols + start], axis=1))
            held += len(rows)
        if held > 4 * n:  # a cluster full of copies: keep only what connects them
            found = [star_edges(n, found)]
            held = len(found[0])
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64, copy=False)


def _pairs_of_rows(x: np.ndarray, rows: np.ndarray, threshold: float) -> np.ndarray:
    """(m, 2) pairs i < j with i in `rows` and x_i . x_j >= threshold, by blocked product."""
    found = [np.empty((0, 2), dtype=np.int64)]
    block = int(max(BLOCK_VALUES // max(len(x), 1), 1))
    for start in range(0, len(rows), block):
        part = rows[start:start + block]
        r, c = np.nonzero(x[part] @ x.T >= threshold)
        keep = c > part[r]
        found.append(np.stack([part[r][keep], c[keep]], axis=1))
    return np.concatenate(found)


def search_pairs(x: np.ndarray, threshold: float, flat: Callable[[int], object] = devices.flat_ip,
                 first_k: int = FIRST_K, max_k: int = MAX_K) -> np.ndarray:
    """The pairs of `close_pairs`, found by k-nearest-neighbour search on `flat(dim)` (an
    exact inner-product index; on a GPU, a GPU one). A row whose k-th neighbour is still
    >= threshold may have more: it is searched again with 4k, and past `max_k` compared
    by product, so no pair is lost whatever the number of copies."""
    n = len(x)
    index = flat(x.shape[1])
    index.add(x)
    found: list[np.ndarray] = []
    held = 0
    todo = np.arange(n)
    k = min(first_k, n)
    while len(todo):
        sims, neighbours = index.search(x[todo], k)
        close = sims >= threshold
        more = close[:, -1] if k < n else np.zeros(len(todo), dtype=bool)  # k-th close: maybe more
        rows, cols = np.nonzero(close & ~more[:, None])
        i, j = todo[rows], neighbours[rows, cols]
        keep = j > i  # each pair once, from its smaller end; not a row with itself
        found.append(np.stack([i[keep], j[keep]], axis=1))
        held += int(keep.sum())
        if held > 4 * n:  # a cluster full of copies: keep only what connects them
            found = [star_edges(n, found)]
            held = len(found[0])
        todo = todo[more]
        if len(todo) and k >= max_k:
            found.append(_pairs_of_rows(x, todo, threshold))
            break
        k = min(4 * k, n, max_k)
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64, copy=False)


def semantic_groups(
    vectors: np.ndarray, eps: float = 0.05, clusters: int | None = None, seed: int = 0,
    progress: Reporter | None = None, flat: Callable[[int], object] | None = None,
) -> np.ndarray:
    """Group id per vector (int64; the group's smallest position, -1 alone): connected
    components of the pairs within a k-means cluster whose cosine similarity is >= 1 - eps.

    `flat` (an index factory, e.g. `faiss.IndexFlatIP`) finds each cluster's pairs by
    neighbour search (`search_pairs`); by default that is done on a GPU when there is one,
    else by the blocked product (`close_pairs`)."""
    check_eps(eps)
    if clusters is not None and (isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 1):
        raise ValueError(f"clusters must be a positive integer or None, not {clusters!r}")
    progress = progress or Quiet()
    if flat is None and devices.use_gpu():
        flat = devices.flat_ip
    find = close_pairs if flat is None else (lambda xs, t: search_pairs(xs, t, flat))
    x = unit_rows(vectors)
    n = len(x)
    if n < 2:
        return np.full(n, -1, dtype=np.int64)
    k = min(clusters or default_clusters(n), n)
    with progress.stage("k-means", 1, unit="steps") as advance:
        assignment = kmeans(x, k, seed=seed)
        advance(1)
    order = np.argsort(assignment, kind="stable")  # members of a cluster in document order
    ends = np.cumsum(np.bincount(assignment, minlength=k))
    pairs: list[np.ndarray] = []
    with progress.stage("pairs", n) as advance:
        for start, stop in zip(np.concatenate([[0], ends[:-1]]), ends):
            members = order[start:stop]
            if len(members) > 1:
                local = find(x[members], 1.0 - eps)
                if len(local):
                    pairs.append(members[local])
            advance(len(members))
    return groups_from_pairs(n, pairs)
