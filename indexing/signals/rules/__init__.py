"""Published rule suites as signal columns: Gopher, C4 and FineWeb.

Every measure is a numeric column named `<suite>_<measure>` (so a suite's columns sort
together in the filter panel) with its published default threshold as a
`indexing.curate.thresholds.Rule`; a preset is all of a suite's thresholds at once.

    from indexing.signals.rules import SUITES, PRESETS, compute_rules
    columns = compute_rules(texts)                  # every suite: name -> pyarrow array
    columns = compute_rules(texts, ["c4"])          # one suite
    PRESETS["Gopher"]                               # [Rule("gopher_word_count", 50, 100000), ...]

`loupe index` computes all suites for new rows; `loupe signals -w WS` for a workspace
that exists (see `indexing.signals.compute`).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import pyarrow as pa

from indexing.curate.thresholds import Rule
from indexing.signals.rules import c4, fineweb, gopher
from indexing.signals.rules.suite import Suite

SUITES: dict[str, Suite] = {suite.name: suite for suite in (gopher.SUITE, c4.SUITE, fineweb.SUITE)}

# A preset sets all of a suite's published thresholds at once ("Gopher" is its quality
# and its repetition rules together).
PRESETS: dict[str, list[Rule]] = {suite.preset: list(suite.rules) for suite in SUITES.values()}

RULE_COLUMNS: tuple[str, ...] = tuple(column for suite in SUITES.values() for column in suite.columns)


def suites_named(names: Iterable[str] | None = None) -> list[Suite]:
    """The suites called `names` (None: all), in registry order; an unknown name is a ValueError."""
    if names is None:
        return list(SUITES.values())
    wanted = [name.strip().lower() for name in names]
    unknown = [name for name in wanted if name not in SUITES]
    if unknown:
        raise ValueError(f"unknown rule suite(s) {', '.join(map(repr, unknown))}; choose from {', '.join(SUITES)}")
    return [suite for name, suite in SUITES.items() if name in wanted]


def compute_rules(texts: Sequence[str], suites: Iterable[str] | None = None) -> dict[str, pa.Array]:
    """Every column of the chosen suites (None: all) for `texts`: int64 counts and float64
    measures, null where a measure does not apply (a fraction of no lines)."""
    texts = list(texts)
    columns: dict[str, pa.Array] = {}
    for suite in suites_named(suites):
        columns.update(suite.compute(texts))
    return columns


def rule_fields(suites: Iterable[str] | None = None) -> list[pa.Field]:
    return [field for suite in suites_named(suites) for field in suite.fields()]


__all__ = ["SUITES", "PRESETS", "RULE_COLUMNS", "Suite", "compute_rules", "rule_fields", "suites_named"]
