"""Thresholds on numeric columns: what a cut keeps and removes, fast enough to drag.

The filter panel shows, for every numeric column, a histogram, the documents and
tokens a threshold keeps and removes, and a few documents on either side of the
cut. All of it is numpy over columns already in memory, so a slider move costs
milliseconds even on a million rows; only the final predicate goes to the engine.
A threshold can also be set as a share of the corpus ("keep the top 10%" of a score).
"""

from __future__ import annotations

import math
from itertools import chain
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from indexing.errors import SettingError
from indexing.workspace.sql import quote_identifier, sql_literal

# Numeric columns that are bookkeeping or geometry, not something a curator thresholds.
NOT_FILTERABLE = frozenset({"_ordinal", "_line", "x", "y", "cluster", "cluster_topic", "dup_group"})


def percentile_threshold(scores: np.ndarray, keep_top: float) -> float:
    """The score `t` such that `score >= t` keeps the top `keep_top` share of `scores`:
    ceil(keep_top * n) documents (at least one), more only when scores tie at `t`.
    NaN (a document without a score) is never kept and does not count in n.

    keep_top=0.10 over the scores 0, 1, ..., 99 gives 90 (ten scores are >= 90)."""
    if not isinstance(keep_top, (int, float)) or not 0 < keep_top <= 1:
        raise SettingError(f"keep_top must be a share in (0, 1], e.g. 0.1 for the top 10%, not {keep_top!r}")
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if len(values) == 0:
        raise SettingError("no scores to take a percentile of")
    keep = min(len(values), max(1, math.ceil(keep_top * len(values) - 1e-9)))
    return float(np.partition(values, len(values) - keep)[len(values) - keep])


def numeric_columns(schema: pa.Schema) -> list[str]:
    """Every column a rule can threshold: signals now, scores later, with no list to keep."""
    return [
        f.name for f in schema
        if f.name not in NOT_FILTERABLE and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
    ]


@dataclass(frozen=True)
class Rule:
    """Keep documents whose `column` lies in [low, high]; None leaves that side open."""

    column: str
    low: float | None = None
    high: float | None = None

    def mask(self, values: np.ndarray) -> np.ndarray:
        keep = ~np.isnan(values)  # a missing value fails any bound that is set
        if self.low is None and self.high is None:
            return np.ones(len(values), dtype=bool)
        if self.low is not None:
            keep &= values >= self.low
        if self.high is not None:
            keep &= values <= self.high
        return keep

    def predicate(self) -> str:
        name = quote_identifier(self.column)
        parts = []
        if self.low is not None:
            parts.append(f"{name} >= {sql_literal(self.low)}")
        if self.high is not None:
            parts.append(f"{name} <= {sql_literal(self.high)}")
        return " AND ".join(parts)


def combined_predicate(rules: list[Rule], extra: str | None = None, conditions: Sequence = ()) -> str | None:
    """The one SQL predicate the map, search and export share: the rules, the conditions on
    string columns (`indexing.curate.categories.Condition`) and `extra`, AND-ed."""
    parts = [f"({p})" for p in (r.predicate() for r in [*rules, *conditions]) if p]
    if extra and extra.strip():
        parts.append(f"({extra.strip()})")
    return " AND ".join(parts) or None


@dataclass(frozen=True)
class CutSummary:
    kept_docs: int
    kept_tokens: int
    removed_docs: int
    removed_tokens: int


def summarize(keep: np.ndarray, tokens: np.ndarray) -> CutSummary:
    kept_tokens = int(tokens[keep].sum())
    return CutSummary(int(keep.sum()), kept_tokens, int((~keep).sum()), int(tokens.sum()) - kept_tokens)


def histogram(values: np.ndarray, bins: int = 60, log: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) over the finite values; log-spaced bins for long-tailed positive columns.

    `bins`: the number of bins; `log`: log-spaced edges (None: chosen from the values)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        return np.array([finite.size]), np.array([low, high])
    if log is None:
        log = low > 0 and high / low > 1000
    edges = np.geomspace(low, high, bins + 1) if log else np.linspace(low, high, bins + 1)
    counts, _ = np.histogram(finite, bins=edges)
    return counts, edges


LONG_TAIL = 100  # a column whose top is this many times its bottom (or more) gets exact bounds


def long_tailed(low: float, high: float) -> bool:
    """Whether a column's range spans orders of magnitude (`tokens`, `chars`): a slider cannot
    pick 50 out of 0..50,000, so the filter panel adds exact number inputs."""
    return low >= 0 and high > 0 and high / max(low, 1) >= LONG_TAIL


def near_threshold(values: np.ndarray, threshold: float, k: int = 3,
                   order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the k documents just below and the k just at or above `threshold`;
    `order` (argsort of `values`, NaN last) saves the sort when the caller keeps one."""
    return near_in_sorted(*sorted_finite(values, order), threshold, k)


def sorted_finite(values: np.ndarray, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(positions, values) of the finite values in ascending order: what `near_in_sorted`
    searches, worth keeping per column (the gather alone is milliseconds a million rows)."""
    if order is None:
        order = np.argsort(values, kind="stable")
    ordered = values[order]
    finite = ~np.isnan(ordered)
    return order[finite], ordered[finite]


def near_in_sorted(order: np.ndarray, ordered: np.ndarray, threshold: float, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """`near_threshold` over a column already sorted by `sorted_finite`."""
    cut = int(np.searchsorted(ordered, threshold, side="left"))
    return order[max(0, cut - k):cut][::-1], order[cut:cut + k]


def as_float(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as float64 with NaN for nulls (what every function here takes)."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64) if len(column) else np.zeros(0)


def default_bounds(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (0.0, 0.0)
    return (math.floor(float(finite.min())), math.ceil(float(finite.max())))


NO_BIN = np.iinfo(np.uint8).max  # bin index of a missing value; histograms have at most 255 bins


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each value's histogram bin (NO_BIN for NaN), computed once per column so that
    the kept documents' histogram after a threshold move is one bincount."""
    bins = max(len(edges) - 1, 0)
    if bins == 0:
        return np.full(len(values), NO_BIN, dtype=np.uint8)
    index = np.searchsorted(edges, values, side="right") - 1
    index = np.clip(index, 0, bins - 1).astype(np.uint8)
    index[~np.isfinite(values)] = NO_BIN  # histogram() counts finite values only
    return index


def kept_counts(index: np.ndarray, keep: np.ndarray, bins: int) -> np.ndarray:
    """The histogram of the kept documents, over the same bins as the full one."""
    return np.bincount(index[keep], minlength=NO_BIN + 1)[:bins]


class KeptHistograms(Mapping):
    """column -> counts of the kept documents per bin, each counted when first asked for:
    a rerun shows a few histograms (the open groups of the Filters tab, or none), and a
    bincount over a million rows per column was most of a threshold move."""

    def __init__(self, bins_of: dict[str, tuple[np.ndarray, int]], keep: np.ndarray):
        self._bins_of, self._keep, self._counted = bins_of, keep, {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._counted:
            index, bins = self._bins_of[name]
            self._counted[name] = kept_counts(index, self._keep, bins)
        return self._counted[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._bins_of)

    def __len__(self) -> int:
        return len(self._bins_of)


@dataclass(frozen=True)
class Hits:
    """What each rule removes, and how the removals add up: the one count behind the
    filter panel (`evaluate`, `overlap`) and the signals report (`preset_hits`)."""

    documents: int
    removed: list[int]  # per rule: documents that rule alone removes (an open rule: 0)
    removed_tokens: list[int]  # per rule: their tokens (0 when no tokens were given)
    cut: np.ndarray  # bool per document: at least one rule removes it
    removed_by_several: int  # documents that two or more rules remove
    both: np.ndarray | None = None  # with pairs: both[i, j] documents removed by rules i and j


def count_hits(rules: list[Rule], values_of: Mapping[str, np.ndarray], documents: int,
               tokens: np.ndarray | None = None, pairs: bool = False,
               masks: Mapping[str, np.ndarray] | None = None) -> Hits:
    """Count, over columns in memory (float, NaN for missing; `documents` long), what
    each rule removes (a missing value fails any bound set), their `tokens` when given,
    the documents cut by any rule and by several, and with `pairs` the pairwise table.
    `masks` (name -> keep per document: a condition on a string column) count as rules after `rules`."""
    cut = np.zeros(documents, dtype=bool)
    several = np.zeros(documents, dtype=bool)
    removed, removed_tokens, packed = [], [], []
    outs = chain((None if rule.low is None and rule.high is None  # an open rule (a slider at its bounds) cuts nothing
                  else ~rule.mask(np.asarray(values_of[rule.column], dtype=np.float64)) for rule in rules),
                 (~np.asarray(keep, dtype=bool) for keep in (masks or {}).values()))  # one mask at a time
    for out in outs:
        if out is None:
            removed.append(0)
            removed_tokens.append(0)
        else:
            count = int(np.count_nonzero(out))
            removed.append(count)
            removed_tokens.append(int(tokens[out].sum()) if tokens is not None and count else 0)
            several |= cut & out
            cut |= out
        if pairs:  # 8 documents a byte
            packed.append(np.packbits(out) if out is not None else np.zeros((documents + 7) // 8, np.uint8))
    both = None
    if pairs:
        both = np.zeros((len(packed), len(packed)), dtype=np.int64)
        for i in range(len(packed)):
            for j in range(i, len(packed)):
                both[i, j] = both[j, i] = int(np.bitwise_count(packed[i] & packed[j]).sum())
    return Hits(documents, removed, removed_tokens, cut, int(np.count_nonzero(several)), both)


@dataclass(frozen=True)
class Evaluation:
    """What the filter panel shows after a threshold moves."""

    keep: np.ndarray  # bool per document: every rule holds
    summary: CutSummary
    removed_by: dict[str, int]  # rule column -> documents that rule alone removes
    removed_tokens_by: dict[str, int]  # rule column -> their tokens
    kept_histograms: Mapping[str, np.ndarray]  # column -> counts of kept documents per bin


def evaluate(rules: list[Rule], values_of: dict[str, np.ndarray], tokens: np.ndarray,
             bins_of: dict[str, tuple[np.ndarray, int]] | None = None,
             base: np.ndarray | None = None, masks: Mapping[str, np.ndarray] | None = None) -> Evaluation:
    """AND the rules, the `masks` (name -> keep: conditions on string columns) and `base`
    (e.g. a label or hand-written predicate's mask) over columns in memory; `bins_of`
    (column -> (bin_index, bins)) adds kept histograms."""
    hits = count_hits(rules, values_of, len(tokens), tokens=tokens, masks=masks)
    keep = ~hits.cut if base is None else base & ~hits.cut
    names = [rule.column for rule in rules] + list(masks or {})
    removed_by = dict(zip(names, hits.removed))
    removed_tokens_by = dict(zip(names, hits.removed_tokens))
    kept = KeptHistograms(bins_of or {}, keep)
    return Evaluation(keep, summarize(keep, tokens), removed_by, removed_tokens_by, kept)


def boolean_columns(schema: pa.Schema) -> list[str]:
    """Flag columns (e.g. `dup_keep`): the filter panel offers "only where it is true"."""
    return [f.name for f in schema if pa.types.is_boolean(f.type)]


@dataclass(frozen=True)
class Overlap:
    """How the active rules' removals overlap: what one cut adds to another."""

    columns: list[str]
    both: np.ndarray  # both[i, j]: documents removed by rule i and by rule j (the diagonal: by rule i)
    by_two_or_more: int


def overlap(rules: list[Rule], values_of: dict[str, np.ndarray],
            masks: Mapping[str, np.ndarray] | None = None) -> Overlap:
    """Pairwise overlap of the documents the set (non-open) rules and the `masks` (name ->
    keep: conditions on string columns) remove."""
    cutting = [r for r in rules if r.low is not None or r.high is not None]
    masks = dict(masks or {})
    if not cutting and not masks:
        return Overlap([], np.zeros((0, 0), dtype=np.int64), 0)
    documents = len(values_of[cutting[0].column]) if cutting else len(next(iter(masks.values())))
    hits = count_hits(cutting, values_of, documents, pairs=True, masks=masks)
    return Overlap([r.column for r in cutting] + list(masks), hits.both, hits.removed_by_several)
