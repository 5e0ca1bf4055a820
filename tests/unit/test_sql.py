"""indexing.workspace.sql: quoting what Loupe writes, bounding what a user writes (issue 8)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from indexing.curate.selection import filter_ids
from indexing.workspace.sql import (
    MAX_CHARS, MAX_DEPTH, MAX_RUN, SelectionError, check_predicate, lance_predicate, quote_identifier,
    quote_string, sql_equals, sql_in, sql_list, sql_literal,
)


def test_quoting_doubles_the_quote_character():
    assert quote_identifier("a`b") == "`a``b`"
    assert quote_identifier("tokens") == "`tokens`"
    assert quote_string("it's") == "'it''s'"
    assert sql_list(["a", "b'c"]) == "'a', 'b''c'"
    with pytest.raises(TypeError):
        quote_string(3)


def test_the_shapes_loupe_writes_quote_the_name_and_each_value():
    assert sql_literal(50.0) == "50" and sql_literal(0.25) == "0.25" and sql_literal(True) == "true"
    assert sql_equals("a`b", "it's") == "`a``b` = 'it''s'"
    assert sql_in("id", ["a", "b'c"]) == "`id` IN ('a', 'b''c')"
    assert sql_in("dup_group", [3, 7]) == "`dup_group` IN (3, 7)"
    assert sql_in("quality", ["bad"], negate=True) == "`quality` NOT IN ('bad')"
    with pytest.raises(TypeError):
        sql_literal(None)
    table = pa.table({"id": ["a", "b", "c"], "g": [3, 5, 7], "v": ["it's", "x", "y"]})
    assert filter_ids(table, sql_in("g", [3, 7])).to_pylist() == ["a", "c"]
    assert filter_ids(table, sql_equals("v", "it's")).to_pylist() == ["a"]


@pytest.mark.parametrize("value", ["it's", "''", "a\\", "x' OR '1'='1", "ünï\n"])
def test_a_quoted_value_matches_itself_only(value):
    table = pa.table({"id": ["a", "b"], "v": [value, "other"]})
    assert filter_ids(table, f"v = {quote_string(value)}").to_pylist() == ["a"]
    assert filter_ids(table, f"v IN ({sql_list([value, 'zz'])})").to_pylist() == ["a"]


@pytest.mark.parametrize("where", [
    "tokens > 100 AND quality != 'bad'", "cluster IN (3, 7)", "`my field` > 2", '"Score" >= 1',
    "id LIKE 'd1%'", "lower(kind) = 'a' OR starts_with(text, 'x')", "regexp_like(text, '^def ')",
    "CASE WHEN tokens > 1 THEN true ELSE false END", "cast(tokens AS DOUBLE) / 2 > 1.5e1",
    "coalesce(score_quality, 0) >= 0.5 AND dup_keep = true", "text = 'a -- b; $1 /* c */'",
    "tokens" + " + 1" * MAX_RUN + " > 3", "(" * MAX_DEPTH + "tokens > 1" + ")" * MAX_DEPTH,
])
def test_ordinary_predicates_are_within_the_bounds(where):
    check_predicate(where)


@pytest.mark.parametrize("where, reason", [
    ("x" * (MAX_CHARS + 1), "characters long"),
    ("n IN (" + ", ".join(["1"] * 1500) + ")", "tokens"),
    (" AND ".join(["a > 1"] * 300), "operators"),
    ("tokens" + " + 1" * (MAX_RUN + 1) + " > 3", "chains more than"),
    ("(" * (MAX_DEPTH + 1) + "tokens > 1" + ")" * (MAX_DEPTH + 1), "nests"),
    ("length(lpad(text, 20000000)) > 0", "lpad() is not accepted"),
    ("length(\"REPEAT\"(text, 9)) > 0", "repeat() is not accepted"),
    ("make_array(1, 2) IS NOT NULL", "make_array() is not accepted"),
    ("n IN (SELECT 1)", "subquery"),
    ("tokens > 1 -- x", "comments"),
    ("tokens > 1; DROP TABLE docs", "second statement"),
    ("tokens > $$1$$", "'$'"),
    ("tokens < 3) OR (1=1", "closes nothing"),
    ("(tokens < 3", "left open"),
    ("kind = 'a", "never closed"),
    ("text" + " || text" * 9 + " = ''", "'||'"),
])
def test_a_predicate_beyond_a_bound_says_which(where, reason):
    with pytest.raises(SelectionError, match="bad selection") as caught:
        check_predicate(where)
    assert reason in str(caught.value)
    assert len(str(caught.value)) < 1500


def test_lance_gets_backtick_quoted_names_and_the_whole_text_in_parentheses():
    assert lance_predicate('"my ""x""" > 1 AND kind = \'"a"\'') == "(`my \"x\"` > 1 AND kind = '\"a\"')"
