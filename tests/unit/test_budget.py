"""Token budgets: greedy fill in rank order, balance caps, candidates, mixes, bad arguments."""

from __future__ import annotations

import math
import random

import numpy as np
import pyarrow as pa
import pytest

from indexing.curate.budget import MIX_TOP, OTHER, select_budget
from indexing.errors import SelectionError

# (id, tokens, score, cluster, lang): the hash embedder counts one token per word
ROWS = [
    ("a", 50, 0.95, 0, "en"),
    ("b", 40, 0.90, 0, "en"),
    ("c", 30, 0.80, 1, "de"),
    ("d", 5, 0.70, 1, "en"),
    ("e", 20, 0.60, 2, "fr"),
    ("f", 10, 0.50, 2, "en"),
    ("g", 25, None, 0, "de"),  # no score: ranked last
    ("h", 15, float("nan"), 1, "en"),  # NaN: ranked last too
]
TOKENS = {r[0]: r[1] for r in ROWS}


def _text(doc_id: str, n: int) -> str:
    return " ".join(f"{doc_id}w{i}" for i in range(n))


def _docs(rows) -> list[dict]:
    return [{"id": r[0], "text": _text(r[0], r[1])} for r in rows]


def _set_columns(ws, rows) -> None:
    """Scores, clusters and languages chosen by hand (the indexer's own clusters replaced)."""
    ws.store.replace_columns(pa.table({
        "id": [r[0] for r in rows],
        "score_quality": pa.array([r[2] for r in rows], pa.float64()),
        "cluster": pa.array([r[3] for r in rows], pa.int32()),
        "lang": [r[4] for r in rows],
    }))


@pytest.fixture
def ws(indexed_workspace):
    workspace = indexed_workspace(_docs(ROWS))
    _set_columns(workspace, ROWS)
    return workspace


def test_the_token_column_is_what_the_rows_say(ws):
    table = ws.docs(columns=["id", "tokens"])
    assert dict(zip(table["id"].to_pylist(), table["tokens"].to_pylist())) == TOKENS


def test_top_scored_first_skips_what_does_not_fit_and_never_exceeds(ws):
    chosen = select_budget(ws, 60, order_by="score_quality")
    # a (50) fits, b (40) and c (30) do not fit in the 10 left, d (5) does, then e..f do not
    assert chosen.ids == ["a", "d"]
    assert (chosen.tokens, chosen.docs) == (55, 2)
    assert chosen.budget_tokens == 60 and chosen.candidates == len(ROWS)
    assert chosen.candidate_tokens == sum(TOKENS.values())
    assert chosen.max_share is None and chosen.groups == {}
    # filled as far as possible: no document left out would still fit
    assert min(TOKENS[i] for i in TOKENS if i not in chosen.ids) > 60 - chosen.tokens


def test_an_exact_fit_and_rank_order_of_the_ids(ws):
    assert select_budget(ws, 90, order_by="score_quality").ids == ["a", "b"]
    assert select_budget(ws, 125, order_by="score_quality").ids == ["a", "b", "c", "d"]
    ascending = select_budget(ws, 40, order_by="score_quality", descending=False)
    assert ascending.ids == ["f", "e", "d"]  # lowest first; NaN/None still last
    assert ascending.tokens == 35


def test_missing_and_nan_scores_come_last(ws):
    everything = select_budget(ws, 10_000, order_by="score_quality")
    assert everything.ids[:6] == ["a", "b", "c", "d", "e", "f"]
    assert set(everything.ids[6:]) == {"g", "h"}
    assert everything.tokens == sum(TOKENS.values()) and everything.docs == len(ROWS)
    assert select_budget(ws, 10_000, order_by="score_quality", descending=False).ids[6:] == ["g", "h"]


def test_zero_budget_selects_nothing_and_a_large_one_everything(ws):
    empty = select_budget(ws, 0, order_by="score_quality")
    assert empty.ids == [] and empty.tokens == 0 and empty.docs == 0
    assert empty.mix_after == {"cluster": {}, "lang": {}}
    assert math.isclose(sum(empty.mix_before["lang"].values()), 1.0)
    assert sorted(select_budget(ws, 10**12).ids) == sorted(TOKENS)


def test_random_order_is_seeded_and_still_fills_greedily(ws):
    runs = {seed: select_budget(ws, 100, seed=seed) for seed in range(12)}
    assert select_budget(ws, 100, seed=3).ids == runs[3].ids
    assert len({tuple(r.ids) for r in runs.values()}) > 1
    for run in runs.values():
        assert run.tokens == sum(TOKENS[i] for i in run.ids) <= 100
        left_out = [TOKENS[i] for i in TOKENS if i not in run.ids]
        assert not left_out or min(left_out) > 100 - run.tokens


def test_order_by_any_numeric_column(ws):
    assert select_budget(ws, 95, order_by="tokens").ids == ["a", "b", "d"]
    assert select_budget(ws, 20, order_by="tokens", descending=False).ids == ["d", "f"]


def test_where_and_ids_restrict_the_candidates(ws):
    english = select_budget(ws, 1000, where="lang = 'en'", order_by="score_quality")
    assert english.ids == ["a", "b", "d", "f", "h"] and english.candidates == 5
    assert english.mix_before["lang"] == {"en": 1.0}
    some = select_budget(ws, 1000, ids=["c", "e", "g", "nope"], order_by="score_quality")
    assert some.ids == ["c", "e", "g"] and some.candidates == 3
    both = select_budget(ws, 1000, where="lang = 'en'", ids=["a", "c", "d"], order_by="score_quality")
    assert both.ids == ["a", "d"]
    ws.labels.add(["a", "b"], "quality", "bad")
    kept = select_budget(ws, 60, where="quality != 'bad'", order_by="score_quality")
    assert kept.ids == ["c", "d", "e"] and kept.tokens == 55  # f, g, h do not fit in the 5 left
    assert select_budget(ws, 1000, ids=[]).ids == []
    assert select_budget(ws, 1000, where="  ").candidates == len(ROWS)  # a blank predicate restricts nothing


def test_mixes_are_token_shares_of_pool_and_selection(ws):
    chosen = select_budget(ws, 60, order_by="score_quality")  # a (50, cluster 0, en) + d (5, cluster 1, en)
    total = sum(TOKENS.values())
    assert chosen.mix_before["cluster"] == pytest.approx(
        {"0": (50 + 40 + 25) / total, "1": (30 + 5 + 15) / total, "2": 30 / total})
    assert list(chosen.mix_before["cluster"]) == ["0", "1", "2"]  # largest first
    assert chosen.mix_after["cluster"] == pytest.approx({"0": 50 / 55, "1": 5 / 55, "2": 0.0})
    assert chosen.mix_after["lang"] == pytest.approx({"en": 1.0, "de": 0.0, "fr": 0.0})
    assert list(chosen.mix_after["lang"]) == list(chosen.mix_before["lang"])  # the same keys, in line
    for mix in (chosen.mix_before, chosen.mix_after):
        for shares in mix.values():
            assert math.isclose(sum(shares.values()), 1.0)


def _balanced_rows():
    """Clusters A and B with ten 10-token documents each, C with one; scores interleave A and B."""
    rows = []
    for i in range(10):
        rows.append((f"a{i}", 10, 1.0 - i / 10, 0, "en"))
        rows.append((f"b{i}", 10, 0.95 - i / 10, 1, "en"))
    rows.append(("c0", 10, 0.01, 2, "de"))
    return rows


@pytest.fixture
def balanced(indexed_workspace):
    workspace = indexed_workspace(_docs(_balanced_rows()))
    _set_columns(workspace, _balanced_rows())
    return workspace


def test_balance_takes_groups_round_robin_and_gives_slack_to_the_others(balanced):
    chosen = select_budget(balanced, 90, order_by="score_quality", balance_by="cluster", max_share=0.5)
    # C's one document is all it can give; A and B use what it leaves (40 each, under the 45 cap)
    assert chosen.ids == ["a0", "b0", "c0", "a1", "b1", "a2", "b2", "a3", "b3"]
    assert chosen.tokens == 90 and chosen.groups == {"0": 40, "1": 40, "2": 10}
    assert chosen.max_share == 0.5
    assert chosen.mix_after["cluster"] == pytest.approx({"0": 4 / 9, "1": 4 / 9, "2": 1 / 9})


def test_without_balance_the_top_scores_take_everything(balanced):
    chosen = select_budget(balanced, 90, order_by="score_quality")
    assert chosen.ids == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4"]
    assert chosen.mix_after["cluster"] == pytest.approx({"0": 5 / 9, "1": 4 / 9, "2": 0.0})


def test_a_cap_is_a_share_of_the_selection_even_when_that_leaves_budget_unused(balanced):
    chosen = select_budget(balanced, 90, order_by="score_quality", balance_by="cluster", max_share=0.4)
    # A and B at most 40% each: with C's 10 tokens the most that holds is 20 + 20 + 10
    assert chosen.groups == {"0": 20, "1": 20, "2": 10} and chosen.tokens == 50
    assert chosen.ids == ["a0", "b0", "c0", "a1", "b1"]
    assert max(chosen.mix_after["cluster"].values()) <= 0.4 + 1e-12


def test_the_default_cap_is_twice_an_equal_share(balanced):
    chosen = select_budget(balanced, 1000, balance_by="cluster", order_by="score_quality")
    assert chosen.max_share == 2 / 3
    assert max(chosen.mix_after["cluster"].values()) <= 2 / 3 + 1e-12
    assert chosen.groups == {"0": 100, "1": 100, "2": 10}  # 100/210 < 2/3: everything fits
    by_lang = select_budget(balanced, 1000, balance_by="lang")
    assert by_lang.max_share == 1.0  # two groups: no cap, round-robin only
    assert by_lang.tokens == 210
    assert set(by_lang.mix_before) == {"cluster", "lang"}


def test_balance_over_a_column_beyond_cluster_and_lang_adds_its_mix(ws):
    # a source column added under Loupe's registry (Store.replace_columns only writes columns Loupe owns)
    sources = pa.table({"id": [r[0] for r in ROWS], "source": ["x", "x", "y", "y", "z", "z", "x", "y"]})
    ws.store.table("docs").to_lance().merge(sources, left_on="id")
    chosen = select_budget(ws, 100, balance_by="source", order_by="score_quality", max_share=0.5)
    assert set(chosen.mix_before) == {"cluster", "lang", "source"}
    assert chosen.mix_after["source"]["x"] <= 0.5 + 1e-12
    assert chosen.tokens <= 100


def _random_rows(n: int, seed: int):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        cluster = i if i < 25 else min(int(rng.paretovariate(1.0)) - 1, 24)  # 25 clusters, most of it in a few
        score = rng.random() if rng.random() > 0.05 else None
        rows.append((f"r{i:03d}", rng.randint(1, 40), score, cluster, rng.choice(["en", "en", "en", "de", "fr"])))
    return rows


@pytest.fixture(scope="module")
def random_ws(indexed_template, tmp_path_factory):
    rows = _random_rows(160, seed=11)
    workspace = indexed_template(_docs(rows)).copy(tmp_path_factory.mktemp("budget-random"))
    _set_columns(workspace, rows)
    return workspace, {r[0]: r for r in rows}


@pytest.mark.parametrize("budget", [0, 1, 37, 250, 900, 2500, 100_000])
@pytest.mark.parametrize("share", [None, 0.05, 0.2, 0.5, 1.0])
def test_any_budget_and_cap_hold_on_a_skewed_corpus(random_ws, budget, share):
    ws, rows = random_ws
    balance = None if share is None else "cluster"
    chosen = select_budget(ws, budget, order_by="score_quality", balance_by=balance, max_share=share)
    assert len(set(chosen.ids)) == len(chosen.ids) == chosen.docs
    assert chosen.tokens == sum(rows[i][1] for i in chosen.ids) <= budget
    if share is None:
        left_out = [rows[i][1] for i in rows if i not in chosen.ids]
        assert not left_out or min(left_out) > budget - chosen.tokens
        return
    per_cluster: dict[int, int] = {}
    for i in chosen.ids:
        per_cluster[rows[i][3]] = per_cluster.get(rows[i][3], 0) + rows[i][1]
    assert all(t <= share * chosen.tokens + 1e-9 for t in per_cluster.values())
    assert chosen.groups == {str(k): v for k, v in per_cluster.items() if v}


def test_more_than_twenty_groups_sum_the_rest_as_other(random_ws):
    ws, rows = random_ws
    chosen = select_budget(ws, 500, order_by="score_quality")
    clusters = {r[3] for r in rows.values()}
    assert len(clusters) > MIX_TOP
    before = chosen.mix_before["cluster"]
    assert len(before) == MIX_TOP + 1 and list(before)[-1] == OTHER
    shares = sorted(((sum(r[1] for r in rows.values() if r[3] == c), str(c)) for c in clusters),
                    key=lambda s: (-s[0], s[1]))
    total = sum(r[1] for r in rows.values())
    rest = shares[MIX_TOP:]
    assert list(before)[:MIX_TOP] == [name for _, name in shares[:MIX_TOP]]
    assert before[OTHER] == pytest.approx(sum(t for t, _ in rest) / total)
    named = [v for k, v in before.items() if k != OTHER]
    assert named == sorted(named, reverse=True)
    for mix in (chosen.mix_before, chosen.mix_after):
        for values in mix.values():
            assert math.isclose(sum(values.values()), 1.0)
    assert list(chosen.mix_after["cluster"]) == list(before)


def test_a_large_workspace_matches_a_plain_cumulative_sum(tmp_path):
    """200,000 rows: the whole prefix that fits is taken in rank order, then the greedy rest."""
    from indexing import Workspace

    ws = Workspace.create(tmp_path / "big", model="hash:8", id_field="id")
    n = 200_000
    rng = np.random.default_rng(1)
    tokens = rng.integers(1, 500, n)
    ws.store.append_docs(pa.table({"id": [f"x{i}" for i in range(n)], "text": ["t"] * n, "tokens": tokens,
                                   "score": rng.random(n)}))
    chosen = select_budget(ws, 10_000_000, order_by="score")
    order = np.argsort(-ws.docs(columns=["score"])["score"].to_numpy(), kind="stable")
    prefix = int(np.searchsorted(np.cumsum(tokens[order]), 10_000_000, side="right"))
    assert chosen.ids[:prefix] == [f"x{i}" for i in order[:prefix]]
    assert chosen.tokens <= 10_000_000
    chosen_set = set(chosen.ids)
    left_out = [t for i, t in enumerate(tokens.tolist()) if f"x{i}" not in chosen_set]
    assert min(left_out) > 10_000_000 - chosen.tokens


@pytest.mark.parametrize("kwargs, message", [
    (dict(budget_tokens=-1), "0 or more"),
    (dict(budget_tokens=1.5), "whole number"),
    (dict(budget_tokens="100"), "whole number"),
    (dict(budget_tokens=True), "whole number"),
    (dict(budget_tokens=10, order_by="nope"), "not a docs column"),
    (dict(budget_tokens=10, order_by="lang"), "not numbers"),
    (dict(budget_tokens=10, order_by="vector"), "not a docs column"),
    (dict(budget_tokens=10, balance_by="nope"), "not a docs column"),
    (dict(budget_tokens=10, balance_by="text"), "cannot group"),
    (dict(budget_tokens=10, balance_by="cluster", max_share=0), r"\(0, 1\]"),
    (dict(budget_tokens=10, balance_by="cluster", max_share=1.5), r"\(0, 1\]"),
    (dict(budget_tokens=10, balance_by="cluster", max_share=-0.2), r"\(0, 1\]"),
    (dict(budget_tokens=10, balance_by="cluster", max_share=float("nan")), r"\(0, 1\]"),
    (dict(budget_tokens=10, balance_by="cluster", max_share="half"), r"\(0, 1\]"),
    (dict(budget_tokens=10, max_share=0.5), "give balance_by"),
    (dict(budget_tokens=10, ids="a"), "not a single string"),
])
def test_bad_arguments_are_clear_value_errors(ws, kwargs, message):
    budget = kwargs.pop("budget_tokens")
    with pytest.raises(ValueError, match=message):
        select_budget(ws, budget, **kwargs)


def test_a_bad_predicate_names_the_columns(ws):
    with pytest.raises(SelectionError, match="Available columns"):
        select_budget(ws, 10, where="no_such_column > 3")


def test_an_empty_workspace_is_refused(tmp_path):
    from indexing import Workspace

    empty = Workspace.create(tmp_path / "empty", model="hash:8", id_field="id")
    with pytest.raises(ValueError, match="no documents"):
        select_budget(empty, 10)


def test_when_no_selection_can_hold_the_cap_nothing_is_selected():
    """Two groups, 50% each at most: 30+30 against 25+25 has no non-empty answer within 100."""
    from indexing.curate.budget import _balanced

    tokens = np.array([30, 25, 30, 25])
    groups = np.array([0, 1, 0, 1])
    assert _balanced(tokens, groups, 2, 100, 0.5).tolist() == []
    assert _balanced(tokens, groups, 2, 100, 1.0).tolist() == [0, 1, 2]  # no cap: 85 tokens
    assert _balanced(np.array([30, 30, 30, 30]), groups, 2, 100, 0.5).tolist() == [0, 1]  # 30 + 30


def test_trimming_drops_the_last_taken_of_the_group_most_over_its_share():
    from indexing.curate.budget import _trim

    tokens = np.array([10, 10, 10, 10, 5])
    groups = np.array([0, 0, 0, 1, 1])
    assert _trim([0, 1, 2, 3], tokens, groups, 2, 0.5) == [0, 3]
    assert _trim([0, 3, 4], tokens, groups, 2, 0.6) == [0, 3, 4]  # 15 of 25 is 60%: not over
    assert _trim([0, 3, 4], tokens, groups, 2, 0.5) == [0, 3]  # 60% > 50%: drop the last of group 1
    assert _trim([0, 1, 2], tokens, groups, 2, 0.5) == []  # one group alone is always 100%
