"""The one registry of the `docs` columns Loupe owns, and the guard on every column write.

A curator's source fields must never be overwritten by a column Loupe computes
(signals, rule suites, language, map, clusters, classifier scores, duplicates), so
ingest stores a source field with an owned name as `<name>_src`, and `Store`
refuses to replace any column this registry does not name. A stage that writes a
new column registers it here first.

Nothing of Loupe's is imported at load time (the stages' own name tuples are read
on first use), so any module, the store included, may import this one.
"""

from __future__ import annotations

from functools import cache
from typing import Iterable

from indexing.errors import ColumnOwnershipError

# A source field that Loupe cannot keep as its own column (beyond `max_fields`) goes
# here, in a JSON object keyed by its source name.
OVERFLOW_COLUMN = "extra_fields"
# How a source field with an owned name is stored; a name with it is never owned.
SOURCE_SUFFIX = "_src"

_FIXED = (
    "id", "text", "vector", "_source", "_ordinal", "_line",  # ingest
    "x", "y", "cluster", "cluster_topic", "placed",  # map, clusters and topics (placed: from neighbours, not fitted)
    "dup_group", "dup_keep",  # dedup
    OVERFLOW_COLUMN,
    "_score", "_distance",  # result columns of searches (LanceDB's names)
)
# Families: every `score_<classifier>` and every `dup_*` (dedup writes dup_group, dup_keep).
PREFIXES = ("score_", "dup_")


@cache
def owned_names() -> frozenset[str]:
    """Every exact column name Loupe writes (the `score_`/`dup_` families are in `is_owned`)."""
    from indexing.signals.language import LANGUAGE_COLUMNS
    from indexing.signals.rules import RULE_COLUMNS
    from indexing.signals.basic import SIGNAL_COLUMNS
    from indexing.signals.domain import DOMAIN_COLUMNS

    return frozenset((*_FIXED, *SIGNAL_COLUMNS, *RULE_COLUMNS, *LANGUAGE_COLUMNS, *DOMAIN_COLUMNS))


def is_owned(name: str) -> bool:
    """Whether Loupe writes a column called `name` (so a source field of that name is renamed)."""
    if name.endswith(SOURCE_SUFFIX):
        return False
    return name in owned_names() or name.startswith(PREFIXES)


def check_writable(names: Iterable[str], source_columns: Iterable[str] = ()) -> None:
    """Refuse, before anything is written, to replace a column that holds a source field:
    one that is recorded as a source field's column, or one the registry does not name."""
    recorded = set(source_columns)
    for name in names:
        if name in recorded or not is_owned(name):
            raise ColumnOwnershipError(
                f"column {name!r} holds a source field, not a column Loupe owns; refusing to overwrite it "
                "(a stage that writes a new column must register it in indexing/workspace/owned_columns.py)"
            )
