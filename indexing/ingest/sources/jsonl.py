"""JSON Lines: one JSON object per line; plain, gzip or zstd."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator

from indexing.ingest.records import MAX_NESTING, TOO_DEEP, Record
from indexing.ingest.sources.base import STREAM_ERRORS, Source, stream_error

SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".jsonl.zst", ".ndjson.zst")


class JsonlSource(Source):
    """One JSON object per line; plain, gzip or zstd. Blank lines are not records."""

    kind = "jsonl"

    def _lines(self) -> Iterator[tuple[int, bytes | None, str | None]]:
        """(line, raw bytes, None) per non-blank line; (line, None, why) last if the stream broke."""
        with self._open_binary() as fh:
            lineno = 0
            try:
                for raw in fh:
                    lineno += 1
                    if lineno == 1:
                        raw = raw.removeprefix(codecs.BOM_UTF8)
                    if raw.strip():
                        yield lineno, raw, None
            except STREAM_ERRORS as e:
                yield lineno + 1, None, stream_error(e)

    def count(self) -> int:
        return sum(1 for _ in self._lines())  # same lines as records(), without parsing them

    def records(self, start: int = 0) -> Iterator[Record]:
        for ordinal, (lineno, raw, error) in enumerate(self._lines()):
            if ordinal < start:
                continue
            if raw is not None:
                fields, error = _parse_json_line(raw)
                if fields is not None:
                    yield Record(ordinal, self.path, lineno, fields=fields)
                    continue
            yield Record(ordinal, self.path, lineno, error=error)


def _parse_json_line(raw: bytes) -> tuple[dict | None, str | None]:
    try:
        text = raw.rstrip(b"\r\n").decode("utf-8")  # so JSON errors say "line 1", not the newline's line 2
    except UnicodeDecodeError as e:
        return None, f"not UTF-8: {e}"
    try:
        value = json.loads(text)
    except ValueError as e:  # JSONDecodeError, and ints longer than Python converts
        return None, f"malformed JSON: {e}"
    except RecursionError:
        return None, f"{TOO_DEEP}: more than {MAX_NESTING} levels"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, None
