"""What a preset's thresholds would remove: per rule, in total, and by several rules at once.

The curator's first questions about a rule suite on their corpus: how many documents does
each rule cut (its hit rate), how many does the preset cut in all, and how much do the
rules overlap (documents cut by two or more)? Counted by `count_hits`, as the filter panel
counts: a missing value (a fraction of no lines) fails its rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from indexing.curate.thresholds import Rule, count_hits


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    removed: int  # documents this rule alone removes


@dataclass(frozen=True)
class PresetHits:
    preset: str
    documents: int
    rules: list[RuleHit] = field(default_factory=list)
    removed: int = 0  # by at least one rule of the preset
    removed_by_several: int = 0  # by two or more of its rules

    def as_dict(self) -> dict:
        return {
            "preset": self.preset, "documents": self.documents, "removed": self.removed,
            "removed_by_several": self.removed_by_several,
            "rules": [{"column": h.rule.column, "low": h.rule.low, "high": h.rule.high, "removed": h.removed}
                      for h in self.rules],
        }


def preset_hits(preset: str, rules: Sequence[Rule], values_of: Mapping[str, np.ndarray]) -> PresetHits:
    """Hits of `rules` over columns in memory (float arrays, NaN for missing), all of one length."""
    lengths = {len(values_of[rule.column]) for rule in rules}
    if len(lengths) > 1:
        raise ValueError(f"columns of preset {preset!r} differ in length: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    hits = count_hits(list(rules), values_of, n)
    return PresetHits(preset, n, [RuleHit(rule, count) for rule, count in zip(rules, hits.removed)],
                      int(np.count_nonzero(hits.cut)), hits.removed_by_several)
