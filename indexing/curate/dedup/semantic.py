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
"""

from __future__ import annotations

import math

import numpy as np

from indexing.vectors.clustering import choose_k, kmeans
from indexing.progress import Quiet, Reporter
from indexing.curate.dedup.groups import groups_from_pairs, star_edges

BLOCK_VALUES = 1 << 24  # similarities computed per matrix-product step (64 MB of float32)
CLUSTER_SIZE = 5_000  # default clusters hold about this many documents at most, on average
ALL_PAIRS_UP_TO = 10_000  # below this, one cluster: every pair compared (about a second), nothing missed


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


def semantic_groups(
    vectors: np.ndarray, eps: float = 0.05, clusters: int | None = None, seed: int = 0,
    progress: Reporter | None = None,
) -> np.ndarray:
    """Group id per vector (int64; the group's smallest position, -1 alone): connected
    components of the pairs within a k-means cluster whose cosine similarity is >= 1 - eps."""
    check_eps(eps)
    if clusters is not None and (isinstance(clusters, bool) or not isinstance(clusters, int) or clusters < 1):
        raise ValueError(f"clusters must be a positive integer or None, not {clusters!r}")
    progress = progress or Quiet()
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
                local = close_pairs(x[members], 1.0 - eps)
                if len(local):
                    pairs.append(members[local])
            advance(len(members))
    return groups_from_pairs(n, pairs)
