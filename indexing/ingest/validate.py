"""Whether a record becomes a row: the checks `loupe index` and `loupe apply` share.

Both must reject the same records and give the same ids, or a recipe applied to a
workspace's own sources would not keep what the workspace kept.
"""

from __future__ import annotations

from typing import Protocol

from indexing.ingest.records import MAX_NESTING, TOO_DEEP, Record, Rejection, too_deep


class Seen(Protocol):
    """The ids met so far (id -> where first seen): a dict, or a table on disk."""

    def get(self, doc_id: str) -> str | None: ...

    def __setitem__(self, doc_id: str, where: str) -> None: ...


def validate(record: Record, *, text_field: str, id_field: str | None, max_chars: int, source_path: str,
             path_ids: bool, id_prefix: str, seen: Seen) -> tuple[str, str] | Rejection:
    """(id, text) for a good record, else the Rejection that says why not. Ids are the
    `id_field`'s value, or `<id_prefix><file within the source>:<line>` without one."""
    fields = record.fields
    if record.error is not None:
        reason, _, detail = record.error.partition(": ")
        return Rejection(record.file, record.line, reason, detail)
    if too_deep(fields):
        return Rejection(record.file, record.line, TOO_DEEP, f"more than {MAX_NESTING} levels")
    text = fields.get(text_field)
    if text is None:
        return Rejection(record.file, record.line, f"no '{text_field}' field")
    if not isinstance(text, str):
        return Rejection(record.file, record.line, "text is not a string", type(text).__name__)
    if not text.strip():
        return Rejection(record.file, record.line, "empty text")
    if len(text) > max_chars:
        return Rejection(record.file, record.line, "text too long", f"{len(text):,} characters > max_chars {max_chars:,}")
    within = record.file[len(source_path):]
    if id_field:
        raw_id = fields.get(id_field)
        missing = raw_id is None or str(raw_id) == ""
        if missing and not path_ids:
            return Rejection(record.file, record.line, f"no '{id_field}' field")
        # a whole file without an id of its own (a text file) is known by its path
        doc_id = f"{id_prefix}{within}" if missing else str(raw_id)
    else:
        doc_id = f"{id_prefix}{within}:{record.line}"
    first = seen.get(doc_id)
    if first is not None:
        return Rejection(record.file, record.line, "duplicate id", f"{doc_id!r} first seen {first}")
    seen[doc_id] = record.where
    return doc_id, text
