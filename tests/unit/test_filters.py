"""Threshold maths the filter panel relies on, checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

import pytest

from indexing.curate.thresholds import (
    NO_BIN, Evaluation, Rule, as_float, bin_index, combined_predicate, default_bounds, evaluate, histogram,
    kept_counts, near_in_sorted, near_threshold, numeric_columns, sorted_finite, summarize,
)


def test_numeric_columns_skip_bookkeeping_and_geometry():
    schema = pa.schema([("id", pa.string()), ("tokens", pa.int64()), ("score", pa.float32()), ("x", pa.float32()),
                        ("cluster", pa.int32()), ("_line", pa.int64()), ("vector", pa.list_(pa.float32(), 4))])
    assert numeric_columns(schema) == ["tokens", "score"]


def test_rule_mask_and_predicate():
    values = np.array([1, 5, 10, np.nan, 20], dtype=float)
    rule = Rule("tokens", low=5, high=10)
    assert rule.mask(values).tolist() == [False, True, True, False, False]
    assert rule.predicate() == "`tokens` >= 5 AND `tokens` <= 10"
    assert Rule("score", high=0.25).predicate() == "`score` <= 0.25"
    assert Rule("odd name", low=1).predicate() == "`odd name` >= 1"
    assert Rule("tokens").mask(values).all()


def test_combined_predicate_ands_rules_and_text():
    rules = [Rule("tokens", low=50), Rule("words"), Rule("score", high=0.5)]
    assert combined_predicate(rules, "quality != 'bad'") == "(`tokens` >= 50) AND (`score` <= 0.5) AND (quality != 'bad')"
    assert combined_predicate([Rule("tokens")]) is None


@pytest.mark.parametrize("name", ["a`b", "``", "it's", 'say "hi"', "odd name", "select", "Tokens", "ünï", "a)b OR (1=1"])
def test_rule_predicates_quote_any_column_name(name):
    """issue 8, defect 2: a field name with a backtick (or any other character) broke the
    app and the default export; a rule's predicate reads exactly its own column."""
    from indexing.curate.selection import filter_ids

    table = pa.table({"id": ["a", "b", "c", "d"], name: [1.0, 5.0, 10.0, None], "other": [9, 9, 9, 9]})
    rules = [Rule(name, low=5), Rule(name, high=9.5)]
    assert filter_ids(table, rules[0].predicate()).to_pylist() == ["b", "c"]
    assert filter_ids(table, combined_predicate(rules, "other = 9")).to_pylist() == ["b"]


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
    kept = sorted_finite(values)  # what the app keeps per column
    for threshold in (0, 4, 6, 9, 10):
        assert [a.tolist() for a in near_in_sorted(*kept, threshold, 2)] == \
            [a.tolist() for a in near_threshold(values, threshold, k=2)]


def test_as_float_turns_nulls_into_nan_and_bounds_round_outwards():
    values = as_float(pa.chunked_array([pa.array([1, None, 3], pa.int64())]))
    assert np.isnan(values[1]) and values[[0, 2]].tolist() == [1.0, 3.0]
    assert default_bounds(np.array([0.2, 7.5, np.nan])) == (0.0, 8.0)


# ---- kept histograms and evaluate: against brute force on random data ---------------


def _column(rng, kind: str, n: int) -> np.ndarray:
    if kind == "normal":
        values = rng.normal(size=n)
    elif kind == "integers":  # many values exactly on bin edges
        values = rng.integers(0, 120, n).astype(float)
    elif kind == "long_tail":  # log-spaced bins
        values = rng.lognormal(0, 4, n) + 0.01
    elif kind == "constant":
        values = np.full(n, 7.0)
    else:
        values = np.full(n, np.nan)
    values[rng.random(n) < 0.05] = np.nan
    values[rng.random(n) < 0.02] = np.inf
    values[rng.random(n) < 0.02] = -np.inf
    return values


@pytest.mark.parametrize("kind", ["normal", "integers", "long_tail", "constant", "missing"])
@pytest.mark.parametrize("bins", [1, 7, 60, 255])
def test_kept_counts_equal_numpy_histogram_of_the_kept_finite_values(kind, bins):
    rng = np.random.default_rng(bins)
    values = _column(rng, kind, 3000)
    counts, edges = histogram(values, bins=bins)
    if len(edges):  # values on interior edges, the first and the last edge (the max)
        on_edges = rng.choice(edges, 400)
        values = np.concatenate([values, on_edges, edges])
        assert np.isin(edges[1:-1], values).all() and values[np.isfinite(values)].max() == edges[-1]
    index = bin_index(values, edges)
    assert index.dtype == np.uint8 and len(index) == len(values)
    assert (index[~np.isfinite(values)] == NO_BIN).all()
    finite = np.isfinite(values)
    for trial in range(4):
        keep = np.ones(len(values), bool) if trial == 0 else rng.random(len(values)) < 0.5
        got = kept_counts(index, keep, len(counts))
        if not len(edges):
            assert got.tolist() == []
            continue
        expected, _ = np.histogram(values[keep & finite], bins=edges)
        assert got.tolist() == expected.tolist()
        assert got.sum() == (keep & finite).sum()  # NaN and inf are in no bin


def test_bin_index_puts_interior_edges_in_the_upper_bin_and_the_max_in_the_last():
    edges = np.array([0.0, 1.0, 2.0, 4.0])
    values = np.array([0.0, 0.5, 1.0, 1.999, 2.0, 3.0, 4.0, np.nan, np.inf, -np.inf])
    assert bin_index(values, edges).tolist() == [0, 0, 1, 1, 2, 2, 2, NO_BIN, NO_BIN, NO_BIN]
    assert (bin_index(np.array([1.0, np.nan]), np.zeros(0)) == NO_BIN).all()


def _brute(rules, values_of, tokens, base):
    n = len(tokens)
    keep = np.ones(n, bool) if base is None else base.copy()
    removed = {}
    for rule in rules:
        v = values_of[rule.column]
        passed = np.ones(n, bool)
        if rule.low is not None or rule.high is not None:
            passed = np.array([not np.isnan(x) for x in v])
        if rule.low is not None:
            passed &= np.array([x >= rule.low for x in v])
        if rule.high is not None:
            passed &= np.array([x <= rule.high for x in v])
        removed[rule.column] = int(n - passed.sum())
        keep &= passed
    return keep, removed


@pytest.mark.parametrize("seed", range(5))
def test_evaluate_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    values_of = {"score": _column(rng, "normal", n), "tokens": _column(rng, "integers", n),
                 "ratio": _column(rng, "long_tail", n)}
    tokens = rng.integers(1, 500, n)
    histograms = {name: histogram(v) for name, v in values_of.items()}
    bins_of = {name: (bin_index(values_of[name], edges), len(counts)) for name, (counts, edges) in histograms.items()}
    rules = [Rule("score", low=float(rng.normal()) - 0.5, high=None),
             Rule("tokens", low=None, high=float(rng.integers(30, 110))),
             Rule("ratio", low=0.5, high=float(rng.lognormal(2, 1)))]
    base = rng.random(n) < 0.8 if seed % 2 else None
    base_before = None if base is None else base.copy()

    result = evaluate(rules, values_of, tokens, bins_of, base=base)

    assert isinstance(result, Evaluation)
    keep, removed = _brute(rules, values_of, tokens, base)
    assert result.keep.dtype == bool and result.keep.tolist() == keep.tolist()
    assert 0 < keep.sum() < n
    assert result.removed_by == removed
    assert all(0 < r < n for r in removed.values())
    assert result.removed_tokens_by == {r.column: int(tokens[~r.mask(values_of[r.column])].sum()) for r in rules}
    s = result.summary
    assert (s.kept_docs, s.removed_docs) == (int(keep.sum()), int(n - keep.sum()))
    assert (s.kept_tokens, s.removed_tokens) == (int(tokens[keep].sum()), int(tokens[~keep].sum()))
    assert set(result.kept_histograms) == set(values_of)
    for name, (counts, edges) in histograms.items():
        v = values_of[name]
        expected, _ = np.histogram(v[keep & np.isfinite(v)], bins=edges)
        assert result.kept_histograms[name].tolist() == expected.tolist()
    if base is not None:
        assert base.tolist() == base_before.tolist()  # the caller's mask is not modified


def test_evaluate_ands_the_base_mask_and_open_rules_keep_missing_values():
    values_of = {"tokens": np.array([1.0, 5.0, np.nan, 9.0, 12.0])}
    tokens = np.array([1, 5, 7, 9, 12])
    base = np.array([True, True, True, False, True])
    only_base = evaluate([Rule("tokens")], values_of, tokens, base=base)
    assert only_base.keep.tolist() == base.tolist() and only_base.removed_by == {"tokens": 0}
    assert only_base.kept_histograms == {}
    both = evaluate([Rule("tokens", low=2)], values_of, tokens, base=base)
    assert both.keep.tolist() == [False, True, False, False, True]
    assert both.removed_by == {"tokens": 2}  # the rule alone: 1.0 and the missing value, not the base's
    assert both.removed_tokens_by == {"tokens": 1 + 7}
    assert (both.summary.kept_docs, both.summary.kept_tokens) == (2, 17)
    assert (both.summary.removed_docs, both.summary.removed_tokens) == (3, 17)
    none = evaluate([], values_of, tokens)
    assert none.keep.all() and none.removed_by == {} and none.summary.removed_docs == 0


def test_overlap_counts_documents_removed_by_each_pair_of_rules():
    from indexing.curate.thresholds import overlap

    values_of = {"a": np.array([1.0, 2.0, 3.0, 4.0, 5.0]), "b": np.array([5.0, 4.0, 3.0, 2.0, np.nan]),
                 "c": np.array([0.0, 0.0, 0.0, 0.0, 0.0])}
    rules = [Rule("a", low=3), Rule("b", high=3.5), Rule("c")]  # a removes 0,1; b removes 0,1,4 (NaN); c is open
    result = overlap(rules, values_of)
    assert result.columns == ["a", "b"]
    assert result.both.tolist() == [[2, 2], [2, 3]]
    assert result.by_two_or_more == 2
    assert overlap([Rule("c")], values_of).by_two_or_more == 0


def test_count_hits_is_the_one_count_behind_evaluate_overlap_and_presets():
    from indexing.curate.thresholds import count_hits

    values_of = {"a": np.array([1.0, 2.0, 3.0, 4.0, 5.0]), "b": np.array([5.0, 4.0, 3.0, 2.0, np.nan])}
    rules = [Rule("a", low=3), Rule("b", high=3.5), Rule("c")]  # c is open: never read, cuts nothing
    hits = count_hits(rules, values_of, 5, tokens=np.array([10, 20, 30, 40, 50]), pairs=True)
    assert hits.removed == [2, 3, 0] and hits.removed_tokens == [30, 80, 0]
    assert hits.cut.tolist() == [True, True, False, False, True] and hits.removed_by_several == 2
    assert hits.both.tolist() == [[2, 2, 0], [2, 3, 0], [0, 0, 0]]


def test_boolean_columns_are_the_flags():
    from indexing.curate.thresholds import boolean_columns

    schema = pa.schema([("id", pa.string()), ("dup_keep", pa.bool_()), ("tokens", pa.int64())])
    assert boolean_columns(schema) == ["dup_keep"]


def test_kept_histograms_are_counted_only_for_the_columns_asked_for(monkeypatch):
    """A rerun draws a few histograms (or none); counting every column's kept documents on
    every threshold move was most of the move's time on a million rows."""
    import indexing.curate.thresholds as filters

    rng = np.random.default_rng(0)
    values_of = {name: rng.normal(size=500) for name in ("a", "b", "c")}
    bins_of = {name: (bin_index(v, histogram(v)[1]), len(histogram(v)[0])) for name, v in values_of.items()}
    counted = []
    real = filters.kept_counts
    monkeypatch.setattr(filters, "kept_counts", lambda *args: counted.append(1) or real(*args))
    result = evaluate([Rule("a", low=0.0)], values_of, np.ones(500, int), bins_of)
    assert counted == [] and len(result.kept_histograms) == 3
    first = result.kept_histograms["b"]
    assert result.kept_histograms["b"] is first and counted == [1]  # counted once, then kept
    assert first.tolist() == real(*bins_of["b"][:1], result.keep, bins_of["b"][1]).tolist()
