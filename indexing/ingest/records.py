"""What a source yields: one record, or the reason it could not be read.

Kept apart from the readers so that validation, the ingest stage and the tests
share one vocabulary without importing any file format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# The most levels of objects and lists one record may nest (the record itself is one).
# Deeper data is almost always a generated or hostile file, and storing it would recurse
# once per level (JSON text, Arrow): the check happens once, as every record is validated.
MAX_NESTING = 100
TOO_DEEP = "nested too deeply"


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether `value` nests dicts, lists or tuples more than `limit` levels (no recursion,
    so a value far deeper than Python's stack is fine)."""
    if not isinstance(value, (dict, list, tuple)):
        return False
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, (dict, list, tuple)):
                if level >= limit:
                    return True
                stack.append((child, level + 1))
    return False


@dataclass(frozen=True)
class Record:
    """One record of a source, in the source's own order.

    ``ordinal`` counts records from 0 within the source and is what resume keys on;
    ``file`` and ``line`` are for people (1-based line of JSONL/CSV, 1-based row of
    Parquet and Hugging Face datasets, 1 for a whole text file).
    """

    ordinal: int
    file: str
    line: int
    fields: dict[str, Any] | None = None
    error: str | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Rejection:
    """A record that was not stored, with the reason a curator can act on."""

    file: str
    line: int
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.file}:{self.line}: {self.reason}{tail}"


