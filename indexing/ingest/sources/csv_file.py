"""CSV with a header row: column types inferred, a quote left open reported at its line."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from typing import Any, Callable

from indexing.ingest.records import Record
from indexing.ingest.sources.base import STREAM_ERRORS, Source, decode, stream_error

SUFFIXES = (".csv", ".csv.gz")
_INFER_ROWS = 1000  # CSV records that decide a column's type
# Text corpora put whole documents in one CSV cell; the stdlib's 128 KiB limit is too small.
_CSV_FIELD_LIMIT = 2**31 - 1

_INT = re.compile(r"[+-]?(?:0|[1-9][0-9]*)")
# Decimal notation only: "nan", "inf" and "1_000" are text, and so is "007" (a code, not a number).
_FLOAT = re.compile(r"[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _numeric(pattern: re.Pattern, cast: Callable[[str], Any]) -> Callable[[str], Any]:
    """A converter for a numeric column: blank -> None, a number -> cast, anything else kept as text."""

    def convert(value: str) -> Any:
        stripped = value.strip()
        if not stripped:
            return None
        return cast(stripped) if pattern.fullmatch(stripped) else value

    return convert


def _same(value: str) -> str:
    return value


def _infer(columns: list[list[str]]) -> list[Callable[[str], Any]]:
    """int if every non-blank value is an int, else float if all are numbers, else str.

    A column with no non-blank value at all stays str (its empty strings are kept).
    """
    converters = []
    for values in columns:
        present = [v.strip() for v in values if v.strip()]
        if present and all(_INT.fullmatch(v) for v in present):
            converters.append(_numeric(_INT, int))
        elif present and all(_FLOAT.fullmatch(v) for v in present):
            converters.append(_numeric(_FLOAT, float))
        else:
            converters.append(_same)
    return converters


class CsvSource(Source):
    """A CSV file with a header row; column types are inferred from the first 1000 records."""

    kind = "csv"

    def __init__(self, path: str | os.PathLike, text_field: str = "text") -> None:
        super().__init__(path, text_field)
        self._prepared: tuple[dict, Any] | None = None

    def _utf8_problem(self) -> tuple[int, str] | None:
        """(line, why) for the first undecodable byte, so a bad file is one error before any record."""
        with self._open_binary() as fh:
            try:
                for lineno, raw in enumerate(fh, 1):
                    _, _, error = decode(raw)
                    if error:
                        return lineno, error
            except STREAM_ERRORS:
                pass  # the reading pass reports it where it happens
        return None

    def _rows(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """(start line, values, None) per non-blank row, or (line, None, why) for an unreadable one.

        A quote left open swallows every line to the end of the file into one field; that
        record is reported at its start line and reading starts again on the next line.
        """
        csv.field_size_limit(_CSV_FIELD_LIMIT)
        with io.TextIOWrapper(self._open_binary(), encoding="utf-8-sig", newline="") as text:
            lines = _Lines(text, 1)
            reader = csv.reader(lines)
            while True:
                lineno = lines.start_record()
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    yield lineno, None, f"malformed CSV: {e}"
                    continue
                except STREAM_ERRORS as e:
                    yield lineno, None, stream_error(e)
                    return
                except UnicodeDecodeError as e:  # the file changed after the UTF-8 check
                    yield lineno, None, f"not UTF-8: {e}"
                    return
                if lines.ended:
                    # The reader returns a row after the last line only from inside a quoted
                    # field: read the lines after this record's first one again.
                    yield lineno, None, "malformed CSV: unterminated quote"
                    lines = _Lines(lines.record[1:], lineno + 1)
                    reader = csv.reader(lines)
                    continue
                if row:
                    yield lineno, row, None

    def _prepare(self):
        """The UTF-8 problem, or the header and column converters; cached until the file changes."""
        fingerprint = self.fingerprint()
        if self._prepared and self._prepared[0] == fingerprint:
            return self._prepared[1]
        problem = self._utf8_problem()
        header: list[str] | None = None
        columns: list[list[str]] = []
        if problem is None:
            seen = 0
            for _, row, _ in self._rows():
                if header is None:
                    if row is not None:
                        header = _unique(row)
                        columns = [[] for _ in header]
                    continue
                if seen == _INFER_ROWS:
                    break
                seen += 1
                if row is not None and len(row) <= len(header):
                    for column, value in zip(columns, row):
                        column.append(value)
        result = (problem, header, _infer(columns))
        self._prepared = (fingerprint, result)
        return result

    def records(self, start: int = 0) -> Iterator[Record]:
        problem, header, converters = self._prepare()
        if problem is not None:
            if start == 0:
                yield Record(0, self.path, problem[0], error=problem[1])
            return
        ordinal, seen_header = 0, False
        for lineno, row, error in self._rows():
            if not seen_header and row is not None:
                seen_header = True  # the same first good row that _prepare took as the header
                continue
            if ordinal >= start:
                if row is not None and len(row) > len(header):
                    error = f"expected {len(header)} fields, found {len(row)}"
                if error is not None:
                    yield Record(ordinal, self.path, lineno, error=error)
                else:
                    fields = {name: None for name in header}
                    for name, convert, value in zip(header, converters, row):
                        fields[name] = convert(value)
                    yield Record(ordinal, self.path, lineno, fields=fields)
            ordinal += 1


class _Lines:
    """The physical lines that csv.reader reads, numbered, with those of the current record
    kept so that they can be read again, and whether the input has ended."""

    def __init__(self, lines, first: int) -> None:
        self._lines = iter(lines)
        self.next_line = first
        self.record: list[str] = []
        self.ended = False

    def start_record(self) -> int:
        """Forget the previous record's lines; the line number the next record starts on."""
        self.record = []
        return self.next_line

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        try:
            line = next(self._lines)
        except StopIteration:
            self.ended = True
            raise
        self.record.append(line)
        self.next_line += 1
        return line


def _unique(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does ("a", "a.1"), so no column is silently lost."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 0
        while candidate in seen:
            n += 1
            candidate = f"{name}.{n}"
        seen.add(candidate)
        out.append(candidate)
    return out
