"""Duplicates: exact (normalised text hash), near (MinHash LSH), semantic (SemDeDup).

    from indexing import dedup
    result = dedup.dedup(ws, "minhash", threshold=0.8, keep="longest")
    ws.select("dup_keep = true")                 # every document but the dropped duplicates
    dedup.groups_table(ws, limit=50)             # the largest groups, for a side-by-side view

The pure functions take texts or vectors and return one group id per item
(the group's smallest position, -1 for an item without a duplicate):

    exact_groups(texts), minhash_groups(texts, threshold=0.8), semantic_groups(vectors, eps=0.05)
    pairs_found(groups, true_pairs)              # recall on a known duplicate set
"""

from indexing.curate.dedup.exact import exact_groups, normalise
from indexing.curate.dedup.groups import NO_GROUP, kept_members, pairs_found
from indexing.curate.dedup.minhash import minhash_groups, shingles
from indexing.curate.dedup.semantic import semantic_groups
from indexing.curate.dedup.stage import (
    COLUMNS, DEFAULT_THRESHOLD, KEEP_RULES, METHODS, DedupError, DedupResult, dedup, groups_table, last_run,
)

__all__ = [
    "METHODS", "KEEP_RULES", "DEFAULT_THRESHOLD", "COLUMNS", "NO_GROUP", "DedupError", "DedupResult",
    "dedup", "groups_table", "last_run", "exact_groups", "minhash_groups", "semantic_groups",
    "normalise", "shingles", "kept_members", "pairs_found",
]
