"""Conditions on string columns: the mask the app counts with is the SQL the engine runs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from indexing.curate.categories import (ALWAYS_CATEGORY, CATEGORY_LIMIT, Condition, categorize, check_condition,
                                        conditions_predicate, string_columns)
from indexing.curate.thresholds import Rule, combined_predicate, evaluate, overlap
from indexing.errors import SelectionError
from indexing.signals.domain import domain_columns, domain_of
from tests.helpers import write_jsonl

ODD = "it's `odd`"
VALUES = ["en", "fr", None, "de", "en", ODD, "fr-CA", "en", "", "EN", None, "français"]


def test_a_column_becomes_codes_by_frequency_and_a_wide_one_is_not_a_category():
    category = categorize("lang", pa.chunked_array([VALUES[:6], VALUES[6:]]))
    assert category.values[:3] == ["en", "", "EN"] and category.counts[:2].tolist() == [3, 1]  # ties by value
    assert category.missing == 2
    assert [category.values[c] if c >= 0 else None for c in category.codes] == VALUES
    assert category.counts.sum() + category.missing == len(VALUES)
    wide = pa.array([f"v{i % (CATEGORY_LIMIT + 1)}" for i in range(5 * CATEGORY_LIMIT)])
    assert categorize("title", wide) is None and categorize("title", wide, limit=None) is not None
    twice = pa.array([f"v{i % CATEGORY_LIMIT}" for i in range(2 * CATEGORY_LIMIT)])
    assert categorize("section", twice) is not None  # 200 values, each in 2 documents
    unique = pa.array([f"https://a.org/{i}" for i in range(ALWAYS_CATEGORY + 1)])
    assert categorize("url", unique) is None and categorize("url", unique[:ALWAYS_CATEGORY]) is not None
    kept = category.kept_counts(np.array([True] * 6 + [False] * 6))
    assert kept[category.values.index("en")] == 2


def test_string_columns_leave_out_identity_text_and_the_json_bag():
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("extra_fields", pa.string()),
                        ("lang", pa.string()), ("tokens", pa.int64()), ("domain", pa.large_string())])
    assert string_columns(schema) == ["lang", "domain"]


@pytest.mark.parametrize("condition", [
    Condition("lang", include=("en", ODD)),
    Condition("lang", exclude=("en", "fr")),
    Condition("lang", contains="n"),
    Condition("lang", contains="'"),
    Condition("lang", regex="^(?i)en$"),
    Condition("lang", regex="^fr"),
    Condition("lang", include=("en", "fr", "fr-CA"), exclude=("fr",), regex="^[a-z]"),
    Condition("lang"),
])
def test_the_mask_and_the_predicate_keep_the_same_rows_on_a_real_lancedb_table(tmp_path, condition):
    import lancedb

    from indexing.curate.selection import filter_ids

    ids = [f"d{i}" for i in range(len(VALUES))]
    table = pa.table({"id": ids, "lang": pa.array(VALUES, pa.string())})
    docs = lancedb.connect(tmp_path).create_table("docs", table)
    mask = condition.mask(categorize("lang", table["lang"]))
    masked = [i for i, keep in zip(ids, mask) if keep]
    where = conditions_predicate([condition])
    if where is None:
        assert all(mask)
        return
    by_lance = docs.search().where(where).limit(None).to_arrow()["id"].to_pylist()
    by_datafusion = filter_ids(table, where).to_pylist()  # what Workspace.select and loupe apply run
    assert sorted(by_lance) == sorted(masked) and masked == by_datafusion


def test_an_exclude_keeps_documents_without_a_value_and_an_include_drops_them():
    category = categorize("lang", pa.array(["en", None, "de"]))
    assert Condition("lang", exclude=("de",)).mask(category).tolist() == [True, True, False]
    assert Condition("lang", include=("de",)).mask(category).tolist() == [False, False, True]
    assert Condition("lang", contains="e").mask(category).tolist() == [True, False, True]


def test_names_and_values_are_quoted_never_syntax():
    where = Condition("my `col`", include=("a') OR (1=1",)).predicate()
    assert where == "`my ``col``` IN ('a'') OR (1=1')"
    table = pa.table({"id": ["x", "y"], "my `col`": ["a') OR (1=1", "b"]})
    from indexing.curate.selection import filter_ids

    assert filter_ids(table, where).to_pylist() == ["x"]


def test_a_bad_regex_is_an_error_that_names_the_column():
    with pytest.raises(SelectionError, match="'lang'.*regular expression"):
        check_condition(Condition("lang", regex="(unclosed"))
    check_condition(Condition("lang", regex="^(en|de)$"))


def test_conditions_join_the_one_predicate_the_counts_and_the_overlap():
    rule = Rule("tokens", 10, None)
    condition = Condition("lang", include=("en",))
    assert combined_predicate([rule], extra="`flag` = true", conditions=[condition, Condition("kind")]) == \
        "(`tokens` >= 10) AND (`lang` IN ('en')) AND (`flag` = true)"
    tokens = np.array([5.0, 20, 30, 40])
    keep_lang = np.array([True, True, False, False])
    evaluation = evaluate([rule], {"tokens": tokens}, tokens.astype(np.int64), masks={"lang": keep_lang})
    assert evaluation.keep.tolist() == [False, True, False, False]
    assert evaluation.removed_by == {"tokens": 1, "lang": 2}
    both = overlap([rule], {"tokens": tokens}, masks={"lang": keep_lang})
    assert both.columns == ["tokens", "lang"] and both.both.tolist() == [[1, 0], [0, 2]]
    only = overlap([Rule("tokens")], {"tokens": tokens}, masks={"lang": keep_lang, "kind": ~keep_lang})
    assert only.columns == ["lang", "kind"] and only.by_two_or_more == 0


@pytest.mark.parametrize("url, domain", [
    ("https://WWW.Example.org:8080/a?b=c", "example.org"),
    ("http://fr.wikipedia.org/wiki/Paris", "fr.wikipedia.org"),
    ("example.org/path", "example.org"),
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("http://[::1", None),
    ("not a url", None),
    ("mailto:someone@example.org", None),
    ("http://a b.com/", None),
    ("", None),
    (None, None),
    (42, None),
])
def test_domain_is_the_lower_case_host_without_www_and_null_for_what_is_not_a_url(url, domain):
    assert domain_of(url) == domain


def test_no_domain_column_when_the_source_has_its_own():
    urls = pa.array(["https://a.org/x"])
    assert domain_columns({"url": urls}, ["url"])["domain"].to_pylist() == ["a.org"]
    assert domain_columns({"url": urls}, ["url", "domain"]) == {}
    assert domain_columns({"link": urls}, ["link"]) == {}


def test_ingest_gives_a_source_with_urls_a_domain_column_and_keeps_its_own_domain_field(tmp_path):
    from indexing import Workspace

    rows = [{"id": f"d{i}", "text": f"document number {i} about things", "url": url, "domain": "mine"}
            for i, url in enumerate(["https://www.Python.org/doc", "not a url", "http://docs.python.org/3/"])]
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "docs.jsonl", rows)])
    table = ws.docs(columns=["id", "domain", "domain_src"])
    assert dict(zip(table["id"].to_pylist(), table["domain"].to_pylist())) == \
        {"d0": "python.org", "d1": None, "d2": "docs.python.org"}
    assert set(table["domain_src"].to_pylist()) == {"mine"}
    assert ws.select("domain = 'python.org'") == ["d0"]


def test_loupe_signals_gives_rows_stored_before_a_domain(tmp_path):
    from indexing import Workspace
    from indexing.signals.compute import compute_signals

    rows = [{"id": f"d{i}", "text": f"a document about topic {i}", "url": f"https://WWW.site{i % 2}.org/{i}"}
            for i in range(6)]
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "docs.jsonl", rows)])
    ws.store.table("docs").drop_columns(["domain"])  # as a workspace indexed before `domain` existed
    result = compute_signals(ws, suites=[], language=True)
    assert "domain" in result.columns
    table = ws.docs(columns=["id", "domain"])
    assert dict(zip(table["id"].to_pylist(), table["domain"].to_pylist())) == \
        {f"d{i}": f"site{i % 2}.org" for i in range(6)}


def test_the_category_chart_escapes_values_and_maps_bars_back_to_them():
    from components.category_bars import category_bars_figure, category_bars_spec

    values = ["<b>bold</b>", "en", "x" * 100]
    spec = category_bars_spec(values, np.array([5, 3, 1]), "kind <i>", kept=np.array([2, 3, 0]), excluded=("en",))
    bars = spec["data"][0]
    assert bars["y"][0] == "&lt;b&gt;bold&lt;/b&gt;" and len(bars["y"][2]) <= 40
    assert [values[i] for i in bars["customdata"]] == values
    assert bars["marker"]["color"][1] != bars["marker"]["color"][0]  # the removed value is shaded
    assert spec["layout"]["title"]["text"] == "kind &lt;i&gt;"
    category_bars_figure(values, np.array([5, 3, 1]), "kind")  # plotly validates it


def test_a_text_column_is_read_only_until_it_shows_itself():
    from indexing.curate.categories import categorize_batches

    def batches(pulled):
        for start in range(0, 10_000, 100):
            pulled.append(start)
            yield pa.array([f"title {i}" for i in range(start, start + 100)])

    pulled = []
    assert categorize_batches("title", batches(pulled)) is None
    assert len(pulled) == CATEGORY_LIMIT // 100 + 1  # stopped at the batch past the limit
    repeated = [pa.array(["en", "de", None] * 50) for _ in range(4)]
    category = categorize_batches("lang", iter(repeated))
    assert category.values == ["de", "en"] and category.missing == 200 and len(category.codes) == 600
