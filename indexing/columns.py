"""Turning a source's free-form fields into typed Arrow columns of `docs`.

Sources disagree (JSONL has no schema, CSV has strings, Parquet has types), but a
LanceDB table has one type per column. The first batch in which a field has a
value fixes its type; later values are cast to it, and a value that will not cast
is stored as null and counted as a warning rather than losing the whole record.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable

import pyarrow as pa

from .language import LANGUAGE_COLUMNS
from .rules import RULE_COLUMNS

# Columns that Loupe owns. A source field with one of these names is kept under
# `<name>_src` so that nothing the curator had is lost.
RESERVED = frozenset(
    {"id", "text", "vector", "x", "y", "cluster", "chars", "words", "lines", "tokens",
     "_source", "_ordinal", "_line"}
)


# Signal columns that Loupe computes from the text (rule suites, language): a source
# field of that name is kept as `<name>_src` too, so the signal never overwrites it.
SIGNALS = frozenset(RULE_COLUMNS) | frozenset(LANGUAGE_COLUMNS)


def stored_name(field: str) -> str:
    return f"{field}_src" if field in RESERVED or field in SIGNALS else field


def _plain(value: Any) -> Any:
    """Nested values become JSON text: one scalar type per column keeps filters simple."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _infer(values: list[Any]) -> pa.DataType | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    try:
        inferred = pa.array(present).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.string()
    if pa.types.is_integer(inferred):
        return pa.int64()
    if pa.types.is_floating(inferred):
        return pa.float64()
    if pa.types.is_timestamp(inferred) or pa.types.is_boolean(inferred) or pa.types.is_date(inferred):
        return inferred
    return pa.string()


def _fits(value: Any, type_: pa.DataType) -> bool:
    """Whether a Python value belongs in a column of `type_` without reinterpretation."""
    if isinstance(value, str):  # "2.5" or "yes" in a numeric column is data, not a number
        return False
    if pa.types.is_boolean(type_):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if pa.types.is_integer(type_):
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if pa.types.is_floating(type_):
        return isinstance(value, (int, float))
    return True


def _cast(values: list[Any], type_: pa.DataType, name: str, warnings: Counter) -> pa.Array:
    """Safe casts only: 1.5 or "1" into an int64 column is a null and a warning, never 1."""
    if pa.types.is_string(type_):
        return pa.array([v if v is None or isinstance(v, str) else str(v) for v in values], type_)
    if all(v is None or _fits(v, type_) for v in values):
        try:
            return pa.array(values, type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError):
            pass  # e.g. an int beyond int64: find which ones below
    out = []
    for v in values:
        if v is not None:
            try:
                if not _fits(v, type_):
                    raise TypeError(v)
                v = pa.array([v]).cast(type_)[0].as_py()
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError):
                warnings[f"field '{name}': value not of type {type_}, stored as null"] += 1
                v = None
        out.append(v)
    return pa.array(out, type_)


def field_columns(
    rows: list[dict[str, Any]], known: dict[str, pa.DataType], warnings: Counter
) -> tuple[dict[str, pa.Array], list[pa.Field]]:
    """Arrow arrays for the source fields of `rows`, plus the fields new to the table.

    `known` maps existing column names to their types; a field seen for the first
    time with only nulls is left out until a batch gives it a value.
    """
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    arrays: dict[str, pa.Array] = {}
    new_fields: list[pa.Field] = []
    for name in names:
        values = [_plain(row.get(name)) for row in rows]
        type_ = known.get(name)
        if type_ is None:
            type_ = _infer(values)
            if type_ is None:
                continue
            new_fields.append(pa.field(name, type_))
        arrays[name] = _cast(values, type_, name, warnings)
    return arrays, new_fields


def align(columns: dict[str, pa.Array], schema: pa.Schema, rows: int) -> pa.Table:
    """A table in `schema`'s column order, with nulls for what this batch lacks."""
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns else pa.nulls(rows, f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def rename_fields(fields: dict[str, Any], drop: Iterable[str]) -> dict[str, Any]:
    """The source's own fields under their stored names, minus those Loupe consumed."""
    dropped = set(drop)
    return {stored_name(k): v for k, v in fields.items() if k not in dropped}
