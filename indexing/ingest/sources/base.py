"""What every reader shares: the Source interface, opening (gzip, zstd) and decoding bytes.

A reader numbers its records from 0 in a fixed order, so that an ingest which stopped
at ordinal N can resume with ``records(N)`` and get exactly the records it has not
stored yet. A bad record never stops a reader: it becomes a ``Record`` with ``error``
set, and the reader carries on. Only a source that cannot be opened at all raises
``SourceError``.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

import zstandard

from indexing.errors import SourceError
from indexing.ingest.records import Record

_CHUNK = 1 << 16

# What a broken .gz/.zst stream raises part way through (a plain file raises none of these).
STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, zstandard.ZstdError)


def stream_error(e: BaseException) -> str:
    """Why a compressed stream stopped part way through."""
    return f"compressed stream is corrupt or truncated: {e}"


def os_reason(e: OSError) -> str:
    """The OS's reason, in the words a user reads."""
    if isinstance(e, PermissionError):
        return "permission denied"
    if isinstance(e, FileNotFoundError):
        return "no such file or directory"
    return e.strerror or str(e)


def decode(data: bytes) -> tuple[str | None, int, str | None]:
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
            raise SourceError(self.path, os_reason(e)) from e
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
            raise SourceError(self.path, os_reason(e)) from e
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


def dir_fingerprint(root: str, relpaths: list[str]) -> dict:
    """Files, total size and newest mtime of a folder source: enough to notice a change."""
    size, newest = 0, 0
    for rel in relpaths:
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            continue  # a dangling link still counts as a file; it becomes an error record
        size += st.st_size
        newest = max(newest, st.st_mtime_ns)
    return {"files": len(relpaths), "size": size, "mtime_ns": newest}
