"""Duplicate groups as arrays: from pairs or labels to group ids, and who is kept.

Every method ends the same way: a set of "these two are duplicates" pairs (or a
label per document), closed under transitivity (connected components), turned
into one group id per document. A group's id is the smallest row position in
it, so ids are deterministic and readable (group 17 starts at row 17); a
document without a duplicate gets -1.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

NO_GROUP = -1


def groups_from_labels(labels: np.ndarray) -> np.ndarray:
    """Group id per position: equal labels form a group (id = its smallest position);
    a label held by one position only gives -1."""
    labels = np.asarray(labels)
    n = len(labels)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    first = np.full(len(counts), n, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(n, dtype=np.int64))
    groups = first[inverse]
    groups[counts[inverse] == 1] = NO_GROUP
    return groups


def component_labels(n: int, pairs: Iterable[np.ndarray] | np.ndarray) -> np.ndarray:
    """Connected-component label per node 0..n-1 of the undirected graph whose edges are
    `pairs` (an (m, 2) array, or an iterable of such arrays)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = _stack(pairs)
    if len(edges) == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def groups_from_pairs(n: int, pairs: Iterable[np.ndarray] | np.ndarray) -> np.ndarray:
    """Group id per position 0..n-1 for the connected components of `pairs`."""
    return groups_from_labels(component_labels(n, pairs))


def star_edges(n: int, pairs: Iterable[np.ndarray] | np.ndarray) -> np.ndarray:
    """The fewest edges with the same components as `pairs`: each grouped node joined to
    its group's smallest node. Keeps the edge list of a huge group linear in its size."""
    groups = groups_from_pairs(n, pairs)
    members = np.flatnonzero((groups != NO_GROUP) & (groups != np.arange(n)))
    return np.stack([groups[members], members], axis=1)


def _stack(pairs) -> np.ndarray:
    if isinstance(pairs, np.ndarray):
        parts = [pairs]
    else:
        parts = [np.asarray(p) for p in pairs]
    parts = [p.reshape(-1, 2) for p in parts if np.size(p)]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def kept_members(groups: np.ndarray, rank: np.ndarray | None = None) -> np.ndarray:
    """dup_keep per position: True for every document without a group and for one member
    of each group, the one with the highest `rank` (ties and rank=None: the first)."""
    groups = np.asarray(groups, dtype=np.int64)
    keep = groups == NO_GROUP
    grouped = np.flatnonzero(~keep)
    if len(grouped) == 0:
        return keep
    key = np.zeros(len(grouped)) if rank is None else -np.asarray(rank, dtype=np.float64)[grouped]
    key = np.where(np.isnan(key), np.inf, key)  # a missing value ranks last
    order = np.lexsort((grouped, key, groups[grouped]))  # by group, best rank, then position
    ordered_groups = groups[grouped][order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered_groups[1:] != ordered_groups[:-1]
    keep[grouped[order][first]] = True
    return keep


def summary(groups: np.ndarray) -> tuple[int, int, int]:
    """(groups, documents in a group, documents to remove: all members but one per group)."""
    grouped = np.asarray(groups)[np.asarray(groups) != NO_GROUP]
    count = len(np.unique(grouped))
    return count, len(grouped), len(grouped) - count


def pairs_found(groups: np.ndarray, true_pairs: Sequence[tuple[int, int]] | np.ndarray) -> float:
    """Recall on a known duplicate set: the share of `true_pairs` (row positions (i, j))
    that `groups` puts in one group. For benchmarks and evaluation."""
    groups = np.asarray(groups, dtype=np.int64)
    pairs = np.asarray(true_pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        raise ValueError("true_pairs is empty: recall on no pairs is undefined")
    if pairs.min() < 0 or pairs.max() >= len(groups):
        raise ValueError(f"true_pairs holds positions outside 0..{len(groups) - 1}")
    a, b = groups[pairs[:, 0]], groups[pairs[:, 1]]
    return float(np.mean((a == b) & (a != NO_GROUP)))
