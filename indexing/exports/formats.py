"""The data files of an export, one writer per format: JSONL, Parquet and a Hugging Face dataset.

JSONL and Parquet fill numbered files (`part-00000.<suffix>`) of at most `shard_rows`
rows; "hf" stages its rows in an Arrow file and lets `datasets.save_to_disk` cut the
shards. Each writer is written to batch by batch, then closed (returning the files it
made, with their rows and bytes) or aborted.
"""

from __future__ import annotations

import json
import math
import os
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from indexing.workspace.atomic import fsync

FORMATS = ("jsonl", "parquet", "hf")


# ---- JSON for Arrow values --------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)  # exact, unlike a float
    if isinstance(value, (bytes, bytearray)):
        return value.hex()  # as ingest stores bytes
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _finite(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json_line(row: dict) -> str:
    try:
        return json.dumps(row, ensure_ascii=False, allow_nan=False, default=_json_default)
    except ValueError:
        return json.dumps(_finite(row), ensure_ascii=False, allow_nan=False, default=_json_default)


# ---- writers ----------------------------------------------------------------


class _JsonlFile:
    suffix = "jsonl"

    def __init__(self, path: Path, schema: pa.Schema):
        self.out = open(path, "w", encoding="utf-8", newline="\n")

    def write(self, batch: pa.RecordBatch) -> None:
        self.out.write("".join(_json_line(row) + "\n" for row in batch.to_pylist()))

    def close(self) -> None:
        self.out.flush()
        os.fsync(self.out.fileno())
        self.out.close()

    def abort(self) -> None:
        self.out.close()


class _ParquetFile:
    suffix = "parquet"

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.writer = pq.ParquetWriter(str(path), schema)

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)

    def close(self) -> None:
        self.writer.close()
        fsync(self.path)

    def abort(self) -> None:
        self.writer.close()


class _Shards:
    """Rows into part-00000.<suffix>, part-00001... of at most `shard_rows` rows each."""

    def __init__(self, folder: Path, relative: str, file_type, schema: pa.Schema, shard_rows: int | None):
        self.folder, self.relative, self.file_type = folder, relative, file_type
        self.schema, self.shard_rows = schema, shard_rows
        self.files: list[dict] = []
        self.rows = 0
        self._current = None
        self._current_rows = 0

    def _open(self) -> None:
        name = f"part-{len(self.files):05d}.{self.file_type.suffix}"
        self._path = self.folder / name
        self._current = self.file_type(self._path, self.schema)
        self._current_rows = 0

    def _close_file(self) -> None:
        """A file is complete: flush, fsync and record it."""
        self._current.close()
        self._current = None
        self.files.append({
            "path": f"{self.relative}{self._path.name}",
            "rows": self._current_rows,
            "bytes": self._path.stat().st_size,
        })

    def write(self, batch: pa.RecordBatch) -> None:
        while batch.num_rows:
            if self._current is None:
                self._open()
            room = batch.num_rows if self.shard_rows is None else self.shard_rows - self._current_rows
            part = batch.slice(0, room)
            self._current.write(part)
            self._current_rows += part.num_rows
            self.rows += part.num_rows
            batch = batch.slice(part.num_rows)
            if self.shard_rows is not None and self._current_rows >= self.shard_rows:
                self._close_file()

    def close(self) -> list[dict]:
        if self._current is not None or not self.files:
            if self._current is None:
                self._open()  # an empty selection still gets one (empty) file
            self._close_file()
        return self.files

    def abort(self) -> None:
        if self._current is not None:
            self._current.abort()
            self._current = None


class _HfDataset:
    """Arrow stream into a scratch file, then `datasets.Dataset.save_to_disk` (memory-mapped)."""

    def __init__(self, folder: Path, relative: str, schema: pa.Schema, shard_rows: int | None, scratch: Path):
        self.folder, self.relative, self.shard_rows = folder, relative, shard_rows
        self.scratch = scratch
        self._sink = pa.OSFile(str(scratch), "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema)
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self._writer.write_batch(batch)
            self.rows += batch.num_rows

    def close(self) -> list[dict]:
        import datasets

        self._writer.close()
        self._sink.close()
        shards = 1 if self.shard_rows is None else max(1, math.ceil(self.rows / self.shard_rows))
        dataset = datasets.Dataset.from_file(str(self.scratch))
        bars_were_off = getattr(datasets, "are_progress_bars_disabled", lambda: False)()
        datasets.disable_progress_bars()  # Loupe reports progress its own way
        try:
            dataset.save_to_disk(str(self.folder), num_shards=shards)
        finally:
            if not bars_were_off:
                datasets.enable_progress_bars()
            del dataset
        self.scratch.unlink()
        state = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        files = []
        for entry in state["_data_files"]:
            path = self.folder / entry["filename"]
            with pa.memory_map(str(path)) as source:
                rows = pa.ipc.open_stream(source).read_all().num_rows
            files.append({"path": f"{self.relative}{path.name}", "rows": rows, "bytes": path.stat().st_size})
        return files

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            self._sink.close()


def open_writer(format: str, folder: Path, relative: str, schema: pa.Schema, shard_rows, scratch: Path):
    """The writer of `format` for files under `folder` (`relative`: their path in the manifest)."""
    folder.mkdir(parents=True, exist_ok=True)
    if format == "hf":
        return _HfDataset(folder, relative, schema, shard_rows, scratch)
    return _Shards(folder, relative, _JsonlFile if format == "jsonl" else _ParquetFile, schema, shard_rows)
