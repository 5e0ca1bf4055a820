"""The rule-suite registry, presets, column names and hit counting (indexing/signals/rules)."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from indexing.ingest.columns import RESERVED, SIGNALS, stored_name
from indexing.curate.thresholds import Rule
from indexing.signals.language import LANGUAGE_COLUMNS
from indexing.signals.rules import PRESETS, RULE_COLUMNS, SUITES, Suite, compute_rules, suites_named
from indexing.signals.rules.hits import preset_hits


def test_every_column_is_named_suite_underscore_measure_and_unique():
    assert list(SUITES) == ["gopher", "c4", "fineweb"]
    for name, suite in SUITES.items():
        for column in suite.columns:
            assert column.startswith(f"{name}_") and column.isidentifier() and column == column.lower()
    assert len(set(RULE_COLUMNS)) == len(RULE_COLUMNS) == 29
    # every rule and language column is registered as Loupe's, and none is one of ingest's own columns
    assert set(RULE_COLUMNS) | set(LANGUAGE_COLUMNS) <= RESERVED
    assert not (set(RULE_COLUMNS) | set(LANGUAGE_COLUMNS)) & {"id", "text", "vector", "_source", "_ordinal", "_line"}


def test_a_source_field_named_like_a_signal_is_kept_under_src():
    assert SIGNALS == set(RULE_COLUMNS) | {"lang", "lang_score"}
    assert stored_name("gopher_word_count") == "gopher_word_count_src"
    assert stored_name("lang") == "lang_src" and stored_name("lang_score") == "lang_score_src"
    assert stored_name("language") == "language"


def test_presets_are_the_suites_thresholds():
    assert list(PRESETS) == ["Gopher", "C4", "FineWeb"]
    for suite in SUITES.values():
        assert PRESETS[suite.preset] == list(suite.rules)
        assert all(rule.column in suite.columns for rule in suite.rules)


def test_compute_rules_gives_typed_columns_one_value_per_text():
    texts = ["A first text. It has words.", "#", "x\ny\n"]
    columns = compute_rules(texts)
    assert list(columns) == list(RULE_COLUMNS)
    for name, values in columns.items():
        assert len(values) == 3
        expected = SUITES[name.split("_")[0]].types[name]
        assert values.type == expected and expected in (pa.int64(), pa.float64())
    assert list(compute_rules(texts, ["C4 "])) == list(SUITES["c4"].columns)  # names are forgiving
    assert all(len(v) == 0 for v in compute_rules([]).values())


def test_an_unknown_suite_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown rule suite\(s\) 'dolma'; choose from gopher, c4, fineweb"):
        compute_rules(["text"], ["dolma"])
    assert [s.name for s in suites_named(["fineweb", "gopher"])] == ["gopher", "fineweb"]


def test_a_suite_refuses_columns_outside_its_prefix_and_rules_on_unknown_columns():
    with pytest.raises(ValueError, match="not `mine_<measure>`"):
        Suite("mine", "Mine", "ref", {"other_x": pa.int64()}, (), lambda texts: {})
    with pytest.raises(ValueError, match="rule on unknown column"):
        Suite("mine", "Mine", "ref", {"mine_x": pa.int64()}, (Rule("mine_y", 0, 1),), lambda texts: {})


def test_preset_hits_count_each_rule_the_total_and_the_overlap():
    values = {
        "a": np.array([1.0, 5.0, 9.0, math.nan]),  # kept in [2, 8]: removes docs 0, 2, 3 (NaN fails)
        "b": np.array([0.0, 0.5, 0.9, 0.1]),       # kept <= 0.5: removes doc 2
    }
    hits = preset_hits("P", [Rule("a", 2, 8), Rule("b", None, 0.5)], values)
    assert [h.removed for h in hits.rules] == [3, 1]
    assert hits.documents == 4 and hits.removed == 3 and hits.removed_by_several == 1  # doc 2 by both
    assert hits.as_dict()["rules"][1] == {"column": "b", "low": None, "high": 0.5, "removed": 1}


def test_long_batches_are_measured_in_slices_with_the_same_result(monkeypatch):
    from indexing.signals.rules import suite as suite_module

    texts = ["Hello world. " * 50, "x y z x y z", "The end.", "#"] * 4
    whole = compute_rules(texts)
    monkeypatch.setattr(suite_module, "SLICE_CHARS", 700)  # about one long text per slice
    assert suite_module._slices(["aa", "bbb", "c"], 4) == [["aa"], ["bbb", "c"]]
    sliced = compute_rules(texts)
    assert all(sliced[name].equals(whole[name]) for name in whole)
