"""Turning a source's free-form fields into typed Arrow columns of `docs`.

Sources disagree (JSONL has no schema, CSV has strings, Parquet has types), but a
LanceDB table has one type per column. The first batch in which a field has a
value fixes its type; later values are cast to it, and a value that will not cast
is stored as null and counted as a warning rather than losing the whole record.

Names disagree too: a source may use any string as a field name, Lance and SQL may
not. `FieldNames` gives each source field a safe column once and for all (recorded
in workspace.json), and caps how many columns the sources can make.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from typing import Any, Iterable

import pyarrow as pa

from indexing.signals.language import LANGUAGE_COLUMNS
from indexing.workspace.owned_columns import SOURCE_SUFFIX, is_owned, owned_names
from indexing.signals.rules import RULE_COLUMNS

# The exact names Loupe owns (the registry, indexing/workspace/owned_columns.py, also owns the
# `score_*` and `dup_*` families): a source field with an owned name is kept under
# `<name>_src` so that nothing the curator had is lost.
RESERVED = owned_names()

# Signal columns that Loupe computes from the text (rule suites, language).
SIGNALS = frozenset(RULE_COLUMNS) | frozenset(LANGUAGE_COLUMNS)

# Longer source names are cut: a column name is typed in predicates and shown in tables.
MAX_NAME = 128
EMPTY_NAME = "unnamed"


def stored_name(field: str) -> str:
    """`field` as a column: `<field>_src` when Loupe owns the name, else unchanged."""
    return f"{field}{SOURCE_SUFFIX}" if is_owned(field) else field


def safe_name(field: str) -> str:
    """`field` with what Lance or SQL cannot hold replaced by '_': Lance refuses '.' in a
    top-level name, a backtick breaks every Lance filter on the table, control characters
    and lone surrogates cannot be typed or encoded; empty and very long names are fixed too."""
    name = "".join(
        "_" if ch in ".`" or unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in field[: MAX_NAME]
    )
    return name or EMPTY_NAME


def _free(field: str, taken: set[str]) -> str:
    """A column name for `field` that is safe, not owned by Loupe and not yet taken."""
    base = safe_name(field)
    for n in range(1, len(taken) + 2):
        candidate = base if n == 1 else f"{base[: MAX_NAME - 8]}_{n}"
        candidate = stored_name(candidate)
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: one of len(taken) + 1 candidates is free")


class FieldNames:
    """Source field name -> stored column, the same in every batch and every run.

    `fields` is the record kept in workspace.json (updated in place); `taken` are the
    docs columns that exist already. A field new to the workspace gets a column while
    fewer than `max_fields` source columns exist; after that its values go into the
    JSON object of `extra_fields`, so one very wide record cannot make a million columns.
    """

    def __init__(self, fields: dict[str, str], taken: Iterable[str], max_fields: int):
        self.fields = fields
        self.taken = set(taken) | set(fields.values())
        self.max_fields = max_fields
        self.columns = len(set(fields.values()))
        self.overflowed: set[str] = set()
        self._added: list[tuple[str, str]] = []

    def column(self, field: str) -> str | None:
        """The column of `field`, assigning one if it is new; None beyond `max_fields`."""
        column = self.fields.get(field)
        if column is not None:
            return column
        if self.columns >= self.max_fields:
            self.overflowed.add(field)
            return None
        column = _free(field, self.taken)
        self.fields[field] = column
        self.taken.add(column)
        self.columns += 1
        self._added.append((field, column))
        return column

    def split(self, fields: dict[str, Any], drop: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        """A record's own fields under their columns (minus those Loupe consumed), and the
        fields beyond `max_fields` under their source names."""
        dropped = set(drop)
        stored: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in fields.items():
            if name in dropped:
                continue
            column = self.column(name)
            if column is None:
                extra[name] = value
            else:
                stored[column] = value
        return stored, extra

    def take_added(self) -> list[tuple[str, str]]:
        """The (field, column) pairs assigned since the last call, in order."""
        added, self._added = self._added, []
        return added


def seed_fields(columns: Iterable[str]) -> dict[str, str]:
    """The field record of a workspace made before it was kept: every docs column Loupe
    does not own is a source field's, `<name>_src` the field `<name>` when Loupe owns that."""
    fields: dict[str, str] = {}
    for column in columns:
        if is_owned(column):
            continue
        original = column[: -len(SOURCE_SUFFIX)] if column.endswith(SOURCE_SUFFIX) else None
        fields[original if original and is_owned(original) else column] = column
    return fields


def overflow_text(extra: dict[str, Any]) -> str:
    """The `extra_fields` value of one record: its fields beyond the cap, as a JSON object."""
    return json.dumps(extra, ensure_ascii=False, default=str)


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
