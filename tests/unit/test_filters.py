"""Threshold maths the filter panel relies on, checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from indexing.filters import (
    Rule, as_float, combined_predicate, default_bounds, histogram, near_threshold, numeric_columns, summarize,
)


def test_numeric_columns_skip_bookkeeping_and_geometry():
    schema = pa.schema([("id", pa.string()), ("tokens", pa.int64()), ("score", pa.float32()), ("x", pa.float32()),
                        ("cluster", pa.int32()), ("_line", pa.int64()), ("vector", pa.list_(pa.float32(), 4))])
    assert numeric_columns(schema) == ["tokens", "score"]


def test_rule_mask_and_predicate():
    values = np.array([1, 5, 10, np.nan, 20], dtype=float)
    rule = Rule("tokens", low=5, high=10)
    assert rule.mask(values).tolist() == [False, True, True, False, False]
    assert rule.predicate() == "tokens >= 5 AND tokens <= 10"
    assert Rule("score", high=0.25).predicate() == "score <= 0.25"
    assert Rule("odd name", low=1).predicate() == "`odd name` >= 1"
    assert Rule("tokens").mask(values).all()


def test_combined_predicate_ands_rules_and_text():
    rules = [Rule("tokens", low=50), Rule("words"), Rule("score", high=0.5)]
    assert combined_predicate(rules, "quality != 'bad'") == "(tokens >= 50) AND (score <= 0.5) AND (quality != 'bad')"
    assert combined_predicate([Rule("tokens")]) is None


def test_summarize_counts_docs_and_tokens():
    keep = np.array([True, False, True, False])
    tokens = np.array([10, 20, 30, 40])
    s = summarize(keep, tokens)
    assert (s.kept_docs, s.kept_tokens, s.removed_docs, s.removed_tokens) == (2, 40, 2, 60)


def test_histogram_counts_every_finite_value():
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, np.nan], dtype=float)
    counts, edges = histogram(values, bins=5)
    assert counts.tolist() == [2, 2, 2, 2, 2] and edges[0] == 0 and edges[-1] == 9
    counts, edges = histogram(np.array([1.0, 10.0, 100.0, 10_000.0]), bins=4)
    assert counts.sum() == 4 and np.allclose(edges, [1, 10, 100, 1000, 10_000])  # log bins
    assert histogram(np.array([3.0, 3.0]))[0].tolist() == [2]


def test_near_threshold_returns_neighbours_on_each_side():
    values = np.array([5, 1, 9, 3, 7, np.nan], dtype=float)
    below, above = near_threshold(values, 6, k=2)
    assert values[below].tolist() == [5, 3] and values[above].tolist() == [7, 9]
    below, above = near_threshold(values, 0, k=2)
    assert below.tolist() == [] and values[above].tolist() == [1, 3]


def test_as_float_turns_nulls_into_nan_and_bounds_round_outwards():
    values = as_float(pa.chunked_array([pa.array([1, None, 3], pa.int64())]))
    assert np.isnan(values[1]) and values[[0, 2]].tolist() == [1.0, 3.0]
    assert default_bounds(np.array([0.2, 7.5, np.nan])) == (0.0, 8.0)
