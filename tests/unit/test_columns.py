"""Unit tests for indexing.ingest.columns: stored names, type inference, casting and alignment."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pyarrow as pa
import pytest

from indexing.ingest.columns import MAX_NAME, RESERVED, FieldNames, align, field_columns, safe_name, seed_fields, stored_name


def warning(name: str, type_: str) -> str:
    return f"field '{name}': value not of type {type_}, stored as null"


# --- stored names ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_reserved_names_get_src_suffix(name):
    assert stored_name(name) == f"{name}_src"


@pytest.mark.parametrize("name", ["title", "url", "ID", "Text", "text_src", "vectors", "score"])
def test_other_names_unchanged(name):
    assert stored_name(name) == name


def test_reserved_names_are_the_registry_of_owned_columns():
    """issue 8, defect 4: dedup, classifier and overflow columns are owned too, not only
    the ingest, map and signal columns."""
    assert {
        "id", "text", "vector", "x", "y", "cluster", "chars", "words", "lines", "tokens",
        "_source", "_ordinal", "_line", "dup_keep", "dup_group", "extra_fields", "_score", "_distance",
    } <= RESERVED
    assert stored_name("dup_keep") == "dup_keep_src" and stored_name("score_mine") == "score_mine_src"


# --- inference ------------------------------------------------------------------


def infer_one(values):
    warnings = Counter()
    arrays, fields = field_columns([{"f": v} for v in values], {}, warnings)
    return arrays, fields, warnings


@pytest.mark.parametrize(
    "values, type_, expected",
    [
        ([1, 2, None, 3], pa.int64(), [1, 2, None, 3]),
        ([1.5, None, 2.0], pa.float64(), [1.5, None, 2.0]),
        ([1, 2.5], pa.float64(), [1.0, 2.5]),
        ([True, False, None], pa.bool_(), [True, False, None]),
        (["a", None, "b"], pa.string(), ["a", None, "b"]),
        # mixed types fall back to text, each value written as str()
        ([1, "a", None], pa.string(), ["1", "a", None]),
        ([1, True], pa.string(), ["1", "True"]),
        # beyond int64: text rather than an overflow
        ([2**70, 1], pa.string(), [str(2**70), "1"]),
        # bytes become hex text
        ([b"\x00\xff", None], pa.string(), ["00ff", None]),
    ],
)
def test_inferred_types(values, type_, expected):
    arrays, fields, warnings = infer_one(values)
    assert fields == [pa.field("f", type_)]
    assert arrays["f"].type == type_
    assert arrays["f"].to_pylist() == expected
    assert warnings == Counter()


def test_timestamp_kept_as_timestamp():
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    arrays, fields, warnings = infer_one([when, None])
    assert pa.types.is_timestamp(fields[0].type)
    assert arrays["f"].to_pylist() == [when, None]


def test_nested_values_become_json_text():
    nested = [{"b": [1, 2], "a": "é"}, [1, {"x": None}], None]
    arrays, fields, warnings = infer_one(nested)
    assert fields == [pa.field("f", pa.string())]
    out = arrays["f"].to_pylist()
    assert out[0] == '{"b": [1, 2], "a": "é"}'  # ensure_ascii=False, key order kept
    assert json.loads(out[1]) == [1, {"x": None}]
    assert out[2] is None


def test_all_null_field_left_out_until_a_value_appears():
    warnings = Counter()
    rows = [{"a": 1, "empty": None}, {"a": 2}]
    arrays, fields = field_columns(rows, {}, warnings)
    assert list(arrays) == ["a"]
    assert fields == [pa.field("a", pa.int64())]

    # next batch: the field has a value, so it is now new with an inferred type
    rows = [{"a": 3, "empty": None}, {"a": 4, "empty": "now"}]
    arrays, fields = field_columns(rows, {"a": pa.int64()}, warnings)
    assert fields == [pa.field("empty", pa.string())]
    assert arrays["empty"].to_pylist() == [None, "now"]
    assert arrays["a"].to_pylist() == [3, 4]
    assert warnings == Counter()


def test_field_missing_from_some_rows_is_null_there_and_order_is_first_seen():
    rows = [{"b": 1}, {"a": "x", "b": 2}, {"c": True}]
    arrays, fields = field_columns(rows, {}, Counter())
    assert [f.name for f in fields] == ["b", "a", "c"]
    assert list(arrays) == ["b", "a", "c"]
    assert arrays["b"].to_pylist() == [1, 2, None]
    assert arrays["a"].to_pylist() == [None, "x", None]
    assert arrays["c"].to_pylist() == [None, None, True]


def test_known_fields_are_not_reported_as_new():
    arrays, fields = field_columns([{"a": 1}], {"a": pa.int64()}, Counter())
    assert fields == []
    assert arrays["a"].type == pa.int64()


def test_known_field_with_only_nulls_gives_null_column():
    arrays, fields = field_columns([{"a": None}, {"a": None}], {"a": pa.float64()}, Counter())
    assert fields == []
    assert arrays["a"].type == pa.float64()
    assert arrays["a"].to_pylist() == [None, None]


# --- casting into known types ----------------------------------------------------


def test_cast_into_int_failing_values_become_null_and_are_counted():
    warnings = Counter()
    rows = [{"n": v} for v in [1, "five", None, 2**70, 3, "x"]]
    arrays, fields = field_columns(rows, {"n": pa.int64()}, warnings)
    assert arrays["n"].type == pa.int64()
    assert arrays["n"].to_pylist() == [1, None, None, None, 3, None]
    assert warnings == Counter({warning("n", "int64"): 3})


def test_cast_into_float_accepts_ints_and_counts_strings():
    warnings = Counter()
    rows = [{"v": x} for x in [1, 2.5, "2.5", None]]
    arrays, _ = field_columns(rows, {"v": pa.float64()}, warnings)
    assert arrays["v"].to_pylist() == [1.0, 2.5, None, None]
    assert warnings == Counter({warning("v", "double"): 1})


def test_cast_into_bool_counts_non_bools():
    warnings = Counter()
    rows = [{"ok": x} for x in [True, "yes", 1, False]]
    arrays, _ = field_columns(rows, {"ok": pa.bool_()}, warnings)
    assert arrays["ok"].to_pylist() == [True, None, None, False]
    assert warnings == Counter({warning("ok", "bool"): 2})


def test_warnings_accumulate_across_batches_and_fields():
    warnings = Counter()
    known = {"a": pa.int64(), "b": pa.bool_()}
    field_columns([{"a": "x", "b": "y"}], known, warnings)
    field_columns([{"a": "z", "b": True}], known, warnings)
    assert warnings == Counter({warning("a", "int64"): 2, warning("b", "bool"): 1})


def test_cast_into_string_stringifies_without_warning():
    warnings = Counter()
    rows = [{"s": x} for x in [1, 2.5, True, None, "t", {"k": 1}]]
    arrays, _ = field_columns(rows, {"s": pa.string()}, warnings)
    assert arrays["s"].to_pylist() == ["1", "2.5", "True", None, "t", '{"k": 1}']
    assert warnings == Counter()


def test_fractional_float_into_int_column_is_not_silently_truncated():
    warnings = Counter()
    arrays, _ = field_columns([{"n": 2}, {"n": 1.5}], {"n": pa.int64()}, warnings)
    assert arrays["n"].to_pylist() == [2, None]
    assert warnings == Counter({warning("n", "int64"): 1})


def test_whole_float_into_int_column_is_kept():
    warnings = Counter()
    arrays, _ = field_columns([{"n": 2.0}, {"n": 3}], {"n": pa.int64()}, warnings)
    assert arrays["n"].to_pylist() == [2, 3]
    assert warnings == Counter()


# --- align ------------------------------------------------------------------------


def test_align_orders_by_schema_and_fills_missing_with_nulls():
    schema = pa.schema([("id", pa.string()), ("n", pa.int64()), ("s", pa.string()), ("f", pa.float64())])
    columns = {"s": pa.array(["a", "b"]), "id": pa.array(["1", "2"]), "n": pa.array([1, 2], pa.int32())}
    table = align(columns, schema, 2)
    assert table.schema == schema
    assert table.column_names == ["id", "n", "s", "f"]
    assert table.to_pydict() == {"id": ["1", "2"], "n": [1, 2], "s": ["a", "b"], "f": [None, None]}
    assert table.column("n").type == pa.int64()  # cast to the schema's type


def test_align_with_no_columns_is_all_nulls():
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    table = align({}, schema, 3)
    assert table.num_rows == 3
    assert table.to_pydict() == {"a": [None] * 3, "b": [None] * 3}
    assert table.schema == schema


def test_align_ignores_columns_not_in_schema():
    schema = pa.schema([("a", pa.int64())])
    table = align({"a": pa.array([5]), "extra": pa.array(["x"])}, schema, 1)
    assert table.column_names == ["a"]
    assert table.to_pydict() == {"a": [5]}


# --- field names that Lance or SQL cannot take (issue 8, defect 1) ------------------


@pytest.mark.parametrize("field, column", [
    ("tag.1", "tag_1"), ("n.m", "n_m"), ("a`b", "a_b"), ("tab\there", "tab_here"), ("new\nline", "new_line"),
    ("", "unnamed"), ("\ud800x", "_x"), ("x" * 500, "x" * MAX_NAME),
    ("with space", "with space"), ("naïve", "naïve"), ("'quoted'", "'quoted'"), ("SELECT", "SELECT"),
])
def test_safe_name_maps_only_what_lance_or_sql_cannot_take(field, column):
    """issue 8, defect 1: a field name with "." aborted the whole run."""
    assert safe_name(field) == column


def test_field_names_are_mapped_stably_and_recorded():
    """issue 8, defect 1: every source field -> stored column, stable across batches and runs."""
    recorded: dict[str, str] = {}
    names = FieldNames(recorded, taken=[], max_fields=1000)
    stored, extra = names.split({"id": "7", "text": "t", "tag": "a", "tag.1": "b", "tag_1": "c", "dup_keep": True},
                                drop=["id", "text"])
    assert stored == {"tag": "a", "tag_1": "b", "tag_1_2": "c", "dup_keep_src": True}
    assert extra == {}
    assert recorded == {"tag": "tag", "tag.1": "tag_1", "tag_1": "tag_1_2", "dup_keep": "dup_keep_src"}
    assert names.take_added() == [("tag", "tag"), ("tag.1", "tag_1"), ("tag_1", "tag_1_2"),
                                  ("dup_keep", "dup_keep_src")]
    assert names.take_added() == []
    # a later run, in another order, stores each field in the same column
    again = FieldNames(dict(recorded), taken=recorded.values(), max_fields=1000)
    assert again.split({"tag_1": 1, "tag.1": 2}, drop=[])[0] == {"tag_1_2": 1, "tag_1": 2}
    assert again.take_added() == []


def test_a_name_taken_by_an_owned_or_existing_column_gets_a_free_one():
    names = FieldNames({}, taken=["a_b"], max_fields=1000)
    assert names.column("a.b") == "a_b_2"
    assert names.column("dup.keep") == "dup_keep_src"  # never an owned name
    assert names.column("dup") == "dup"
    assert names.column("dup.") == "dup__src"


def test_fields_beyond_max_fields_go_to_the_overflow_column():
    """issue 8, defect 7: one record with 100,000 fields made 100,000 columns."""
    names = FieldNames({"old": "old"}, taken=["old"], max_fields=3)
    record = {"text": "t", "old": 0, **{f"f{i}": i for i in range(10)}}
    stored, extra = names.split(record, drop=["text"])
    assert stored == {"old": 0, "f0": 0, "f1": 1}
    assert extra == {f"f{i}": i for i in range(2, 10)}
    assert names.overflowed == {f"f{i}" for i in range(2, 10)}
    assert names.split({"f1": 5, "f9": 9}, drop=[]) == ({"f1": 5}, {"f9": 9})


def test_a_workspace_from_before_the_record_is_seeded_from_its_columns():
    """issue 8, defect 1: a workspace made before `fields` existed gets them from its docs columns."""
    columns = ["id", "text", "vector", "tag", "lang_src", "text_src", "chars", "dup_keep", "x", "score_q"]
    assert seed_fields(columns) == {"tag": "tag", "lang": "lang_src", "text": "text_src"}
