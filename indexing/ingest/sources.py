"""Readers that turn a user's source path into a stream of ``Record``s.

Every reader numbers its records from 0 in a fixed order, so that an ingest
which stopped at ordinal N can resume with ``records(N)`` and get exactly the
records it has not stored yet. A bad record never stops a reader: it becomes a
``Record`` with ``error`` set, and the reader carries on. Only a source that
cannot be opened at all raises ``SourceError``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import zstandard

from indexing.ingest.records import MAX_NESTING, TOO_DEEP, Record, SourceError

ACCEPTED = (
    ".jsonl, .ndjson (optionally .gz or .zst), .parquet, .csv, .csv.gz, "
    "a Hugging Face dataset saved with save_to_disk, or a directory of .txt/.md files"
)

_JSONL = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".jsonl.zst", ".ndjson.zst")
_CSV = (".csv", ".csv.gz")
_TEXT = (".txt", ".md")

_CHUNK = 1 << 16
_BATCH = 1000  # rows converted to Python at a time (Parquet, hf)
_INFER_ROWS = 1000  # CSV records that decide a column's type
# Text corpora put whole documents in one CSV cell; the stdlib's 128 KiB limit is too small.
_CSV_FIELD_LIMIT = 2**31 - 1

# What a broken .gz/.zst stream raises part way through (a plain file raises none of these).
_STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError)


def _stream_error(e: BaseException) -> str:
    return f"compressed stream is corrupt or truncated: {e}"


def _os_reason(e: OSError) -> str:
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, FileNotFoundError):
        return "no such file or directory"
    return e.strerror or str(e)


def _decode(data: bytes) -> tuple[str | None, int, str | None]:
    """UTF-8 text, or the 1-based line of the first bad byte and why (a leading BOM is dropped)."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8"), 1, None
    except UnicodeDecodeError as e:
        return None, data.count(b"\n", 0, e.start) + 1, f"not UTF-8: {e}"


class Source:
    """One user source; subclasses know one format each."""

    kind = ""
    # A source whose records are whole files takes a file's path as its id when the
    # id field is missing (a text file has no fields of its own).
    path_ids = False

    def __init__(self, path: str | os.PathLike, text_field: str = "text") -> None:
        self.path = os.fspath(path)
        self.key = str(Path(self.path).resolve())
        self.text_field = text_field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def fingerprint(self) -> dict:
        """Size and mtime of the file: enough to notice that the data changed since the last run."""
        try:
            st = os.stat(self.path)
        except OSError as e:
            raise SourceError(self.path, _os_reason(e)) from e
        return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def count(self) -> int:
        """How many records ``records()`` yields; exact, because progress and resume rely on it."""
        return sum(1 for _ in self.records())

    def records(self, start: int = 0) -> Iterator[Record]:
        """The records with ordinal >= start, in ordinal order."""
        raise NotImplementedError

    def _open_binary(self) -> io.BufferedIOBase:
        """The file's (decompressed) bytes; opening failures become SourceError."""
        name = self.path.lower()
        try:
            if name.endswith(".gz"):
                return gzip.open(self.path, "rb")  # type: ignore[return-value]
            fh = open(self.path, "rb")
        except OSError as e:
            raise SourceError(self.path, _os_reason(e)) from e
        if name.endswith(".zst"):
            return io.BufferedReader(_ChunkReader(_zstd_chunks(fh), fh), _CHUNK)
        return fh


def _zstd_chunks(fh: io.BufferedIOBase) -> Iterator[bytes]:
    """Decompressed .zst data, frame after frame.

    zstandard's stream_reader ends quietly on a truncated file; a frame that is
    still open at end of input is reported here instead.
    """
    dctx = zstandard.ZstdDecompressor()
    frame = None
    while data := fh.read(_CHUNK):
        while data:
            if frame is None:
                frame = dctx.decompressobj()
            if out := frame.decompress(data):
                yield out
            if frame.eof:  # the rest of data belongs to the next frame
                data, frame = frame.unused_data, None
            else:
                data = b""
    if frame is not None:
        raise zstandard.ZstdError("input ended in the middle of a frame")


class _ChunkReader(io.RawIOBase):
    """A raw stream over an iterator of byte chunks, so BufferedReader can split lines."""

    def __init__(self, chunks: Iterator[bytes], underlying: io.IOBase) -> None:
        self._chunks = chunks
        self._underlying = underlying
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._underlying.close()
        super().close()


# ---------------------------------------------------------------- JSONL


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
            except _STREAM_ERRORS as e:
                yield lineno + 1, None, _stream_error(e)

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


# ---------------------------------------------------------------- Parquet


class ParquetSource(Source):
    """A Parquet file, read batch by batch; resume skips whole row groups unread."""

    kind = "parquet"

    def _open(self):
        import pyarrow.parquet as pq

        fh = self._open_binary()
        try:
            return fh, pq.ParquetFile(fh)
        except Exception as e:  # ArrowInvalid and friends: not a Parquet file
            fh.close()
            raise SourceError(self.path, f"not a readable Parquet file: {e}") from e

    def count(self) -> int:
        fh, pf = self._open()
        with fh:  # the row groups' counts, as records() walks them (a damaged footer may disagree)
            return sum(pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups))

    def records(self, start: int = 0) -> Iterator[Record]:
        fh, pf = self._open()
        with fh:
            first = 0  # ordinal of the row group's first row
            for group in range(pf.metadata.num_row_groups):
                rows = pf.metadata.row_group(group).num_rows
                if first + rows > start:  # row groups wholly before start are never read
                    yield from self._row_group(pf, group, first, first + rows, start)
                first += rows

    def _row_group(self, pf, group: int, first: int, end: int, start: int) -> Iterator[Record]:
        """Exactly the rows first..end-1 that the metadata promises: a damaged group that
        gives more is cut, one that gives fewer or breaks ends in error records, so ordinals
        stay in step with count() and resume."""
        import pyarrow as pa

        ordinal, why = first, f"row group {group} holds fewer rows than its metadata says"
        try:
            for batch in pf.iter_batches(batch_size=_BATCH, row_groups=[group]):
                batch = batch.slice(0, end - ordinal)
                skip = max(0, start - ordinal)
                if skip < batch.num_rows:  # batches before start are decoded but never converted
                    yield from self._converted(batch.slice(skip), ordinal + skip)
                ordinal += batch.num_rows
                if ordinal >= end:
                    break
        except (pa.ArrowException, OSError) as e:
            why = f"unreadable row group {group}: {' '.join(str(e).split())}"
        for i in range(max(ordinal, start), end):
            yield Record(i, self.path, i + 1, error=why)

    def _converted(self, batch, first: int) -> Iterator[Record]:
        """The rows of `batch` as records; a row whose bytes are not valid (a string that is
        not UTF-8, in a damaged or hand-made file) is an error record, the others are kept."""
        import pyarrow as pa

        try:
            rows = batch.to_pylist()
        except (ValueError, pa.ArrowException):  # UnicodeDecodeError is a ValueError
            rows = None
        for i in range(batch.num_rows):
            if rows is not None:
                yield Record(first + i, self.path, first + i + 1, fields=rows[i])
                continue
            try:
                yield Record(first + i, self.path, first + i + 1, fields=batch.slice(i, 1).to_pylist()[0])
            except (ValueError, pa.ArrowException) as e:
                reason = f"not UTF-8: {e}" if isinstance(e, UnicodeDecodeError) else f"unreadable row: {e}"
                yield Record(first + i, self.path, first + i + 1, error=reason)


# ---------------------------------------------------------------- CSV

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
                    _, _, error = _decode(raw)
                    if error:
                        return lineno, error
            except _STREAM_ERRORS:
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
                except _STREAM_ERRORS as e:
                    yield lineno, None, _stream_error(e)
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


# ---------------------------------------------------------------- directories


def _dir_fingerprint(root: str, relpaths: list[str]) -> dict:
    size, newest = 0, 0
    for rel in relpaths:
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            continue  # a dangling link still counts as a file; it becomes an error record
        size += st.st_size
        newest = max(newest, st.st_mtime_ns)
    return {"files": len(relpaths), "size": size, "mtime_ns": newest}


class TextDirSource(Source):
    """Every .txt and .md file below a directory, one record each, hidden entries skipped."""

    kind = "text"
    path_ids = True

    def _files(self) -> list[str]:
        """Relative POSIX paths, sorted, so that ordinals do not depend on the filesystem's order."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel_dir = os.path.relpath(dirpath, self.path)
            for name in filenames:
                if not name.startswith(".") and name.lower().endswith(_TEXT):
                    found.append(Path(rel_dir, name).as_posix())
        return sorted(found)

    def fingerprint(self) -> dict:
        return _dir_fingerprint(self.path, self._files())

    def count(self) -> int:
        return len(self._files())

    def records(self, start: int = 0) -> Iterator[Record]:
        for ordinal, rel in enumerate(self._files()):
            if ordinal < start:
                continue
            file = os.path.join(self.path, rel)
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
            except OSError as e:
                yield Record(ordinal, file, 1, error=f"cannot read file: {e.strerror or e}")
                continue
            text, lineno, error = _decode(data)
            if error:
                yield Record(ordinal, file, lineno, error=error)
            else:
                yield Record(ordinal, file, 1, fields={"path": rel, self.text_field: text})


class HfSource(Source):
    """A Dataset or DatasetDict written by save_to_disk; a DatasetDict's splits come in sorted order."""

    kind = "hf"

    def _splits(self) -> list[tuple[str | None, Any]]:
        import datasets  # slow to import; only this reader needs it

        try:
            loaded = datasets.load_from_disk(self.path)
        except Exception as e:
            raise SourceError(self.path, f"not a readable Hugging Face dataset: {e}") from e
        if isinstance(loaded, datasets.DatasetDict):
            return [(name, loaded[name]) for name in sorted(loaded)]
        return [(None, loaded)]

    def fingerprint(self) -> dict:
        walk = os.walk(self.path)
        files = [os.path.relpath(os.path.join(d, f), self.path) for d, _, names in walk for f in names]
        return _dir_fingerprint(self.path, files)

    def count(self) -> int:
        return sum(ds.num_rows for _, ds in self._splits())

    def records(self, start: int = 0) -> Iterator[Record]:
        first = 0  # ordinal of the current split's first row
        for split, ds in self._splits():
            file = self.path if split is None else f"{self.path}[{split}]"
            table = ds.with_format("arrow")  # plain Python values, converted a batch at a time
            for offset in range(max(0, start - first), ds.num_rows, _BATCH):
                for row_index, row in enumerate(table[offset : offset + _BATCH].to_pylist(), offset):
                    if split is not None:
                        row["split"] = split
                    yield Record(first + row_index, file, row_index + 1, fields=row)
            first += ds.num_rows


# ---------------------------------------------------------------- detection


def _kind_of(path: Path) -> type[Source] | None:
    if path.is_dir():
        if (path / "dataset_dict.json").is_file() or (
            (path / "dataset_info.json").is_file() and (path / "state.json").is_file()
        ):
            return HfSource
        return TextDirSource
    name = path.name.lower()
    if name.endswith(_JSONL):
        return JsonlSource
    if name.endswith(".parquet"):
        return ParquetSource
    if name.endswith(_CSV):
        return CsvSource
    return None


def open_source(path: str | os.PathLike, text_field: str = "text") -> Source:
    """The reader for ``path``; fails early, with a reason a user can act on, if there is none."""
    shown = os.fspath(path)
    p = Path(shown)
    if not p.exists():
        raise SourceError(shown, "no such file or directory")
    if not (p.is_file() or p.is_dir()):
        raise SourceError(shown, "not a regular file or directory")
    reader = _kind_of(p)
    if reader is None:
        raise SourceError(shown, f"unknown format; accepted: {ACCEPTED}")
    try:
        if p.is_dir():
            with os.scandir(p):
                pass
        else:
            with open(p, "rb"):
                pass
    except OSError as e:
        raise SourceError(shown, _os_reason(e)) from e
    return reader(shown, text_field=text_field)
