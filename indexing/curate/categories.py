"""Conditions on string columns: keep or drop chosen values, or match text, as one SQL predicate.

The first filter a pre-training curator sets is the language (`lang = 'en'`), then the
source, domain or section. A string column is a *category* when its values repeat: at
most CATEGORY_LIMIT distinct values, and at most one per two documents that have one
(any column of up to ALWAYS_CATEGORY values is a category). The filter panel draws its
most frequent values and the curator includes or excludes some of them. Any other string
column (titles, URLs: nearly a value per document) is *text*: it gets "contains" and
"matches regex" instead.

Each condition is a SQL conjunct (quoted through `indexing.workspace.sql`) and a mask
over the rows in memory. They must agree, so the mask is the SQL itself, evaluated by
DataFusion (the engine `Workspace.select` and `loupe apply` run) over the column's
*distinct* values, then spread to the rows by their codes: a regex is compiled by the
same library in both, on a million rows it is one pass over a few hundred values.

Missing values: an include, "contains" or regex drops a document without a value (as a
threshold does); an exclude keeps it (removing `lang = 'de'` keeps a document with no
`lang`), written `(col IS NULL OR col NOT IN (...))`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import SelectionError
from indexing.workspace.owned_columns import OVERFLOW_COLUMN
from indexing.workspace.sql import quote_identifier, quote_string, sql_in

CATEGORY_LIMIT = 200  # a string column with more distinct values than this is text, not a category
ALWAYS_CATEGORY = 20  # one with at most this many is a category however few documents there are
NOT_CONDITIONED = frozenset({"id", "text", OVERFLOW_COLUMN})  # identity, content, a JSON bag
NULL_CODE = -1


def string_columns(schema: pa.Schema) -> list[str]:
    """The string columns a condition can apply to (not the id, the text or `extra_fields`)."""
    return [f.name for f in schema if f.name not in NOT_CONDITIONED
            and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]


@dataclass(frozen=True)
class Category:
    """A string column as codes: `values` most frequent first, `codes[i]` the index of row
    i's value (NULL_CODE: missing), `counts[k]` the rows holding `values[k]`."""

    column: str
    values: list[str]
    codes: np.ndarray
    counts: np.ndarray

    @property
    def missing(self) -> int:
        return int(np.count_nonzero(self.codes == NULL_CODE))

    def kept_counts(self, keep: np.ndarray) -> np.ndarray:
        """Rows per value among those `keep` holds (the "kept" bars)."""
        present = self.codes >= 0
        return np.bincount(self.codes[keep & present], minlength=len(self.values))


def is_category(distinct: int, with_value: int, limit: int = CATEGORY_LIMIT) -> bool:
    """Whether `distinct` values over `with_value` documents are few enough to chart (see above)."""
    return distinct <= limit and (distinct <= ALWAYS_CATEGORY or 2 * distinct <= with_value)


def categorize(name: str, column: pa.ChunkedArray | pa.Array, limit: int | None = CATEGORY_LIMIT) -> Category | None:
    """`column` as a Category, or None when it is text (`is_category`; `limit` None: always a
    Category). One dictionary encoding; values ordered by count, then by value."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    dictionary = encoded.dictionary.to_pylist()
    if limit is not None and not is_category(len(dictionary), len(array) - array.null_count, limit):
        return None
    raw = encoded.indices.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(encoded.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    raw = np.where(valid, np.nan_to_num(raw), 0).astype(np.int64)
    counts = np.bincount(raw[valid], minlength=len(dictionary))
    order = sorted(range(len(dictionary)), key=lambda k: (-counts[k], dictionary[k]))
    rank = np.empty(len(dictionary), dtype=np.int32)
    rank[order] = np.arange(len(dictionary), dtype=np.int32)
    codes = np.where(valid, rank[raw] if len(dictionary) else 0, NULL_CODE).astype(np.int32)
    return Category(name, [dictionary[k] for k in order], codes, counts[order])


def categorize_batches(name: str, batches: Iterable[pa.Array], limit: int = CATEGORY_LIMIT) -> Category | None:
    """`categorize` of a column read batch by batch, stopping at the batch that shows it is
    text (more than `limit` distinct values): a source's long text field (titles, HTML) is
    never held whole, only its first batches."""
    chunks, seen = [], set()
    for batch in batches:
        seen.update(pc.unique(batch).drop_null().to_pylist())
        if len(seen) > limit:
            return None
        chunks.append(batch.cast(pa.string()))
    return categorize(name, pa.chunked_array(chunks, pa.string()), limit)


@dataclass(frozen=True)
class Condition:
    """What a curator asks of one string column: keep only `include`d values, drop the
    `exclude`d ones, keep values containing `contains`, keep values matching `regex`
    (DataFusion's `regexp_like`: Rust regex syntax, `(?i)` for any case). Empty parts are open."""

    column: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    contains: str = ""
    regex: str = ""

    @property
    def cuts(self) -> bool:
        return bool(self.include or self.exclude or self.contains or self.regex)

    def predicate(self) -> str:
        """The condition as SQL ('' when open), every name and value quoted."""
        name = quote_identifier(self.column)
        parts = []
        if self.include:
            parts.append(sql_in(self.column, self.include))
        if self.exclude:
            parts.append(f"({name} IS NULL OR {sql_in(self.column, self.exclude, negate=True)})")
        if self.contains:
            parts.append(f"contains({name}, {quote_string(self.contains)})")
        if self.regex:
            parts.append(f"regexp_like({name}, {quote_string(self.regex)})")
        return " AND ".join(parts)

    def keeps_values(self, values: list[str | None]) -> np.ndarray:
        """Which of `values` the predicate keeps (a missing value: None), evaluated by DataFusion."""
        if not self.cuts:
            return np.ones(len(values), dtype=bool)
        return sql_keeps(self.predicate(), self.column, values)

    def mask(self, category: Category) -> np.ndarray:
        """Per row of `category`, whether the condition keeps it (the same SQL, by distinct value)."""
        if not self.cuts:
            return np.ones(len(category.codes), dtype=bool)
        keeps = self.keeps_values([*category.values, None])  # the last one: a missing value
        return keeps[category.codes]  # NULL_CODE (-1) picks the last


def sql_keeps(predicate: str, column: str, values: list[str | None]) -> np.ndarray:
    """Whether `predicate` holds for each of `values` as the column `column` (NULL: no).
    A predicate DataFusion refuses (a bad regex) raises SelectionError naming the column."""
    from indexing.curate.selection import _context

    table = pa.table({column: pa.array(values, pa.string()), "_at": pa.array(np.arange(len(values)))})
    frame = _context().from_arrow(table, name="docs")
    try:
        result = frame.select(frame.parse_sql_expr("_at").alias("at"),
                              frame.parse_sql_expr(predicate).alias("keep")).to_arrow_table()
    except Exception as error:  # DataFusion raises plain Exceptions
        reason = " ".join(str(error).replace("DataFusion error: ", "").split())
        raise SelectionError(f"the condition on column {column!r} cannot be evaluated: {reason[:300]}. "
                             "Check the regular expression (Rust regex syntax, e.g. '^en' or '(?i)wiki').") from None
    keep = np.zeros(len(values), dtype=bool)
    keep[result["at"].to_numpy()] = pc.fill_null(result["keep"], False).to_numpy(zero_copy_only=False)
    return keep


def check_condition(condition: Condition) -> None:
    """Raise SelectionError when the condition cannot run (a bad regex), before it reaches a filter."""
    if condition.cuts:
        sql_keeps(condition.predicate(), condition.column, ["", None])


def conditions_predicate(conditions: list[Condition]) -> str | None:
    """The conditions that cut, AND-ed (None: none cut)."""
    parts = [f"({c.predicate()})" for c in conditions if c.cuts]
    return " AND ".join(parts) or None


@dataclass(frozen=True)
class CategoryPreset:
    """A published filter that mixes thresholds and categories, set with one button."""

    name: str
    rules: tuple  # of indexing.curate.thresholds.Rule
    conditions: tuple[Condition, ...]
    about: str


def _english() -> CategoryPreset:
    from indexing.curate.thresholds import Rule

    return CategoryPreset("FineWeb English", (Rule("lang_score", 0.65, None),), (Condition("lang", include=("en",)),),
                          "FineWeb's language filter: lang = 'en' with lang_score >= 0.65 (fastText lid.176)")


CATEGORY_PRESETS = (_english(),)
