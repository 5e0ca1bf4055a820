"""The columns a recipe's steps, budget and output may read, with their Arrow types.

`loupe apply` makes, for every document it reads: the source columns the recipe records
(`reading.columns`, with their types), `id`, `text`, where it came from (`_source`,
`_ordinal`, `_line`), the basic signals and `tokens`, every rule suite's column and the
language columns. What else exists depends on the recipe: `score_<name>` for each of its
classifiers, one string column per label name it carries, `dup_keep`/`dup_group` only
with `dedup`, `x`/`y`/`cluster`/`placed` only with `map`. `available(recipe)` is that
schema, so a step can be parsed and typed without a workspace or any data; `gated(name)`
says why a column that is missing could have been there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from indexing.recipes.recipe import Recipe

# what every read document gets beyond its source fields and the computed signals
_ALWAYS = {"id": pa.string(), "text": pa.string(), "_source": pa.string(), "_ordinal": pa.int64(),
           "_line": pa.int64(), "extra_fields": pa.string()}
DEDUP = {"dup_group": pa.int64(), "dup_keep": pa.bool_()}
MAP = {"x": pa.float32(), "y": pa.float32(), "cluster": pa.int32(), "placed": pa.bool_()}
SCORE_PREFIX = "score_"
SCORE_TYPE = pa.float32()


def computed() -> dict[str, pa.DataType]:
    """The columns Loupe computes for every document, whatever the recipe."""
    from indexing.signals.basic import SIGNAL_COLUMNS
    from indexing.signals.language import TYPES as LANGUAGE_TYPES
    from indexing.signals.rules import rule_fields

    columns = dict(_ALWAYS)
    columns.update({name: pa.int64() for name in SIGNAL_COLUMNS})
    columns.update({f.name: f.type for f in rule_fields()})
    columns.update(LANGUAGE_TYPES)
    return columns


@dataclass(frozen=True)
class Available:
    """The schema a recipe's steps are checked against, and which of its columns are labels."""

    schema: pa.Schema
    labels: dict[str, str]  # selection column -> label name
    sources: tuple[str, ...] = ()  # the source columns (reading.columns)

    @property
    def names(self) -> list[str]:
        return self.schema.names

    def type_of(self, name: str) -> pa.DataType | None:
        index = self.schema.get_field_index(name)
        return None if index < 0 else self.schema.field(index).type


def available(recipe: Recipe) -> Available:
    """Every column a step of `recipe` may read, typed (source columns of an unknown type: null)."""
    from indexing.curate.selection import label_column

    columns: dict[str, pa.DataType] = {name: arrow_type(text) for name, text in recipe.reading.columns.items()}
    for name, type_ in computed().items():
        columns.setdefault(name, type_)
    for use in recipe.classifiers:
        columns[use.column] = SCORE_TYPE
    if recipe.dedup is not None:
        columns.update(DEDUP)
    if recipe.map is not None:
        columns.update(MAP)
    labels = {}
    for name in (recipe.labels.names if recipe.labels else []):
        column = label_column(name, list(columns))
        labels[column] = name
        columns[column] = pa.string()
    return Available(pa.schema([pa.field(n, t) for n, t in columns.items()]), labels, tuple(recipe.reading.columns))


def gated(name: str) -> str | None:
    """Why `name`, absent from a recipe's columns, could exist: what the recipe would need."""
    if name.startswith(SCORE_PREFIX):
        return f"a classifier named {name[len(SCORE_PREFIX):]!r} in `classifiers` (with its weights)"
    if name in DEDUP:
        return "a `dedup` section"
    if name in MAP:
        return "a `map` (the fitted map, saved from a workspace with one)"
    return None


# ---- Arrow type names, as str(pa.DataType) writes them --------------------------

_NESTED = re.compile(r"^(struct|list|large_list)<(.*)>$", re.S)


def arrow_type(text: str) -> pa.DataType:
    """The type `str(type)` wrote (`int64`, `struct<n: int64>`, `list<item: string>`...);
    null for one this cannot read back, so a step over that column is still parsed."""
    text = text.strip()
    try:
        return pa.type_for_alias(text)
    except (ValueError, KeyError):
        pass
    match = _NESTED.match(text)
    if match is None:
        return pa.null()
    kind, inner = match.groups()
    fields = []
    for part in _split(inner):
        name, _, type_text = part.partition(": ")
        fields.append(pa.field(name.strip(), arrow_type(type_text)))
    if kind == "struct":
        return pa.struct(fields)
    if len(fields) != 1:
        return pa.null()
    return (pa.list_ if kind == "list" else pa.large_list)(fields[0].type)


def _split(inner: str) -> list[str]:
    """`a: int64, b: struct<c: string, d: int64>` split at the top-level commas."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        if char in "<[(":
            depth += 1
        elif char in ">])":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    if inner[start:].strip():
        parts.append(inner[start:])
    return parts
