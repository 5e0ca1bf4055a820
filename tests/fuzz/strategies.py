"""What the fuzz tests throw at Loupe: field names, nested values, files, predicates.

Kept in one place so that every suite draws from the same hostile vocabulary
(the names of issue 8: '.', '`', quotes, empty, very long, and Loupe's own
column names).
"""

from __future__ import annotations

import json
import os

from hypothesis import strategies as st

LONG_FACTOR = 40  # also in conftest.py's docstring
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


def examples(n: int) -> int:
    """n examples under the ``ci`` profile, LONG_FACTOR times more under ``long``."""
    return n * LONG_FACTOR if LONG else n


# Names a real corpus has had, and the names Loupe writes itself.
LOUPE_NAMES = [
    "dup_keep", "dup_group", "score", "score_quality", "text_src", "id_src", "x", "y", "cluster",
    "tokens", "chars", "words", "lines", "lang", "lang_score", "vector", "_source", "_ordinal",
    "_line", "_distance", "_score", "label_quality", "quality", "doc_id", "path", "split",
]
ODD_NAMES = [
    "a.b", "tag.1", "n.m", ".", "..", "a`b", "`", "``", '"q"', "'s'", "a'b", "", " ", "  x  ",
    "my field", "naïve", "名前", "emoji😀", "a\nb", "a\tb", "a\x00b", "[red]x[/red]", "[/x]",
    "SELECT", "and", "NULL", "a-b", "1abc", "$x", "a;b", "a,b", "a)b", "a(b", "a\\b", "a/b",
]


def field_names(exclude: frozenset[str] = frozenset()) -> st.SearchStrategy[str]:
    """Arbitrary source field names, weighted towards the hostile ones."""
    names = st.one_of(
        st.sampled_from(LOUPE_NAMES + ODD_NAMES),
        st.text(max_size=12),
        st.text(alphabet="ab.`'\" _", max_size=6),
        st.text(min_size=200, max_size=1200),  # very long
    )
    return names.filter(lambda n: n not in exclude) if exclude else names


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
    st.text(max_size=20),
)


def json_values(names: st.SearchStrategy[str] | None = None, leaves: int = 8) -> st.SearchStrategy:
    """JSON-able values: scalars, lists and objects (keys from `names`), a few levels deep."""
    keys = names if names is not None else st.text(max_size=6)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=leaves,
    )


def nested_json(depth: int, leaf: str = '"deep"') -> str:
    """The JSON text of a value nested `depth` levels (alternating objects and lists),
    built as text because json.dumps itself recurses."""
    opening = "".join('{"k": ' if i % 2 == 0 else "[" for i in range(depth))
    closing = "".join("}" if i % 2 == 0 else "]" for i in reversed(range(depth)))
    return opening + leaf + closing


texts = st.text(min_size=1, max_size=60).filter(lambda t: t.strip())


def jsonl_line(fields: dict) -> str:
    return json.dumps(fields, ensure_ascii=False) + "\n"


# ---- predicates -----------------------------------------------------------------------------


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def double_quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


COMPARISONS = ["=", "!=", "<>", "<", "<=", ">", ">="]
ARITHMETIC = ["+", "-", "*", "/", "%"]
BOOLEANS = ["AND", "OR"]
OTHER_BINARY = ["||", "LIKE", "NOT LIKE", "ILIKE", "IS DISTINCT FROM"]
FUNCTIONS = [
    "length", "lower", "upper", "abs", "round", "coalesce", "substr", "trim", "concat", "strpos",
    "starts_with", "nullif", "sqrt", "ln", "power", "md5", "reverse", "char_length", "left", "now",
    "regexp_like", "regexp_replace", "split_part", "array_length", "unknown_fn",
]
BOMBS = ["lpad", "rpad", "repeat"]  # allocation bombs with a huge count
BIG_COUNTS = ["2", "1000", "20000000", "2000000000", "9223372036854775807", "-1"]
TYPES = ["INT", "BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "DECIMAL(38, 10)"]
INJECTIONS = [") OR (1=1", "; DELETE FROM docs", " LIMIT 0", " -- comment", ") UNION SELECT id FROM docs --",
              " ORDER BY id", "; DROP TABLE labels", "'", ")", "(", " AND", "/*"]


def literals() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-(2**70), 2**70).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.text(max_size=10).map(sql_string),
        st.text(alphabet="a'%_\\", max_size=5).map(lambda s: f"'{s}'"),  # quotes left unescaped
        st.sampled_from(["NULL", "TRUE", "FALSE", "''", "'%'", "1e308", "1e309", "-0", "0.0"]),
    )


def predicates(columns: list[str]) -> st.SearchStrategy[str]:
    """SQL boolean-ish expressions over `columns` from a grammar, valid or not, plus raw
    random text and injection attempts appended to a valid-looking predicate."""
    column = st.sampled_from(columns).flatmap(
        lambda c: st.sampled_from([quoted(c), double_quoted(c), c]))
    atom = st.one_of(column, column, literals())

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(COMPARISONS + ARITHMETIC + BOOLEANS + OTHER_BINARY), inner)
            .map(" ".join),
            inner.map(lambda e: f"NOT {e}"),
            inner.map(lambda e: f"-{e}"),
            inner.map(lambda e: f"({e})"),
            st.tuples(inner, st.sampled_from(["IN", "NOT IN"]), st.lists(literals(), min_size=1, max_size=4))
            .map(lambda t: f"{t[0]} {t[1]} ({', '.join(t[2])})"),
            st.tuples(inner, inner, inner).map(lambda t: f"{t[0]} BETWEEN {t[1]} AND {t[2]}"),
            st.tuples(inner, st.sampled_from(["IS NULL", "IS NOT NULL", "IS TRUE", "IS NOT FALSE"]))
            .map(" ".join),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3))
            .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(st.sampled_from(BOMBS), inner, st.sampled_from(BIG_COUNTS))
            .map(lambda t: f"length({t[0]}({t[1]}, {t[2]})) > 0"),
            st.tuples(inner, st.sampled_from(TYPES)).map(lambda t: f"CAST({t[0]} AS {t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END"),
        )

    expression = st.recursive(atom, extend, max_leaves=10)
    return st.one_of(
        expression,
        expression,
        expression,
        st.tuples(expression, st.sampled_from(INJECTIONS)).map("".join),
        st.text(max_size=40),
        st.text(alphabet="()'`\" =<>!ANDORnot,;%-+*/|0123456789", max_size=40),
    )


def long_predicates(columns: list[str]) -> st.SearchStrategy[str]:
    """Predicates that are large rather than odd: long chains of terms and deep
    parentheses (issue 8, defect 5's shapes), at sizes around any sensible bound."""
    column = st.sampled_from(columns).map(quoted)
    terms = st.sampled_from([50, 400, 3000, 12000])
    return st.one_of(
        st.tuples(column, terms).map(lambda t: t[0] + " + 1" * t[1] + " > 3"),
        st.tuples(column, terms, st.sampled_from(BOOLEANS)).map(
            lambda t: f" {t[2]} ".join([f"{t[0]} > {i}" for i in range(t[1])])),
        st.tuples(column, terms).map(lambda t: "(" * t[1] + f"{t[0]} > 1" + ")" * t[1]),
        st.tuples(column, terms).map(lambda t: f"{t[0]} IN ({', '.join(map(str, range(t[1])))})"),
        st.tuples(column, terms).map(lambda t: "NOT " * t[1] + f"{t[0]} > 1"),
        st.integers(1, 2_000_000).map(lambda n: "'" + "x" * n + "' = text"),
    )
