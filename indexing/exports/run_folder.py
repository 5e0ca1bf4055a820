"""Read an export or an applied output folder: its manifest, and a few of its columns, batch by batch.

`export()` and `loupe apply` write the same layout (see `indexing.exports.export`):
`manifest.json`, the kept rows in `part-NNNNN.jsonl` / `part-NNNNN.parquet` or a Hugging
Face dataset (`state.json` + `data-*.arrow`), and optionally `removed/` in the same format
(an applied output adds `reason` and `reason_value` there). A comparison of two runs needs
only the small columns (id, tokens, cluster, lang, reason, reason_value), so only those are
read, one batch at a time: Parquet reads just their column chunks, a Hugging Face dataset is
memory-mapped, JSONL is parsed by Arrow with a schema of those columns alone.

Every batch comes out with the types of `TYPES` (cluster and lang as text, so that runs
whose cluster column differs in width, or a JSONL whose values were written as strings,
still compare). Anything that makes a folder unreadable is a `DiffError` naming the folder
or the file and what to do.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pyarrow as pa
import pyarrow.json as pajson
import pyarrow.parquet as pq

from indexing.errors import DiffError
from indexing.exports.folder import MANIFEST

REMOVED = "removed"
SIDES = ("kept", "removed")
TYPES = {"id": pa.large_string(), "tokens": pa.int64(), "cluster": pa.string(), "lang": pa.string(),
         "reason": pa.string(), "reason_value": pa.string()}
# How Arrow's JSON reader is asked for each column (it cannot turn a number into text itself).
_JSON_TYPES = TYPES | {"id": pa.string(), "cluster": pa.int64()}
BATCH_ROWS = 65536
_JSON_BLOCK = 16 << 20
_FORMATS = ("jsonl", "parquet", "hf")
_HOW = "give the folder of an export (`loupe export --out`) or of an applied output (`loupe apply --out`)"


def _damaged(path: Path, what: str) -> DiffError:
    return DiffError(f"{path}: {what}; the folder is damaged or incomplete: export or apply again")


@dataclass(frozen=True)
class RunFolder:
    """One export or applied output: where it is, its manifest, its format and its data files."""

    path: Path
    manifest: dict
    format: str
    label: str = ""  # "A", "B": starts every error message, so the person knows which folder is meant

    @contextmanager
    def _named(self) -> Iterator[None]:
        try:
            yield
        except DiffError as error:
            if not self.label:
                raise
            raise DiffError(f"{self.label}: {error}") from error

    @property
    def kind(self) -> str:
        """"apply" for an output of `loupe apply`, else "export"."""
        return str(self.manifest.get("kind") or "export")

    def folder(self, side: str) -> Path:
        return self.path if side == "kept" else self.path / REMOVED

    def files(self, side: str) -> list[Path]:
        """The data files of `side` ("kept" or "removed"), in order; [] when the side is absent."""
        with self._named():
            return self._files(side)

    def _files(self, side: str) -> list[Path]:
        folder = self.folder(side)
        if not folder.is_dir():
            return []
        if self.format != "hf":
            return sorted(folder.glob(f"part-*.{self.format}"))
        state = folder / "state.json"
        if not state.is_file():
            return sorted(folder.glob("data-*.arrow"))
        try:
            names = [entry["filename"] for entry in json.loads(state.read_text(encoding="utf-8"))["_data_files"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _damaged(state, f"not a Hugging Face dataset's state ({error})") from error
        return [folder / name for name in names]

    def has(self, side: str) -> bool:
        return bool(self.files(side))

    def rows(self, side: str) -> int | None:
        """The rows the manifest lists for `side`, or None when it does not list its files."""
        listed = self.manifest.get("files")
        if not isinstance(listed, list):
            return None
        prefix = f"{REMOVED}/"
        try:
            return sum(int(f["rows"]) for f in listed if str(f["path"]).startswith(prefix) == (side == REMOVED))
        except (KeyError, TypeError, ValueError):
            return None

    def columns(self, side: str) -> list[str]:
        """The names of `side`'s columns (read from its first data file)."""
        with self._named():
            return self._columns(side)

    def _columns(self, side: str) -> list[str]:
        files = self._files(side)
        if not files:
            return []
        if self.format == "parquet":
            return _guard(files[0], "Parquet", lambda: pq.read_schema(files[0]).names)
        if self.format == "hf":
            return _guard(files[0], "an Arrow stream", lambda: _arrow_schema(files[0]).names)
        for path in files:
            first = _first_jsonl_row(path)
            if first is not None:
                return list(first)
        listed = self.manifest.get("columns")
        return [str(c) for c in listed] if isinstance(listed, list) else ["id"]

    def batches(self, side: str, wanted: Sequence[str]) -> Iterator[pa.RecordBatch]:
        """`side`'s rows, batch by batch, with those of `wanted` (names of `TYPES`) that it holds.
        Raises DiffError when a side lacks `id`, or a file cannot be read."""
        with self._named():
            yield from self._batches(side, wanted)

    def _batches(self, side: str, wanted: Sequence[str]) -> Iterator[pa.RecordBatch]:
        present = set(self._columns(side))
        if "id" not in present:
            raise DiffError(f"{self.folder(side)} has no `id` column; runs are compared by id, so export "
                            "with the id column (it is in the default columns)")
        names = [c for c in wanted if c in present]
        schema = pa.schema([(c, TYPES[c]) for c in names])
        read = {"parquet": _parquet, "hf": _arrow, "jsonl": _jsonl}[self.format]
        for path in self._files(side):
            for batch in read(path, names):
                if batch.column("id").null_count:
                    raise _damaged(path, "a row has no id")
                try:
                    yield pa.RecordBatch.from_arrays([batch.column(c).cast(TYPES[c]) for c in names], schema=schema)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                    raise DiffError(f"{path}: a column has values of an unexpected type ({error}); "
                                    f"tokens must be whole numbers, id/lang/reason text") from error


def open_run(path: str | Path, label: str = "") -> RunFolder:
    """The run at `path`, checked: a folder with a readable manifest.json whose listed files exist.
    `label` ("A", "B") starts each error message so the person knows which argument is wrong."""
    path = Path(path)
    says = f"{label}: " if label else ""
    if not path.exists():
        raise DiffError(f"{says}{path} does not exist; {_HOW}")
    if not path.is_dir():
        raise DiffError(f"{says}{path} is a file, not a folder; {_HOW}")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        hint = (f"; {path} is a workspace: its exports are under {path / 'exports'}"
                if (path / "workspace.json").is_file() else "")
        raise DiffError(f"{says}{path} has no {MANIFEST}, so it is not an export or an applied output{hint}; {_HOW}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DiffError(f"{says}{manifest_path} cannot be read ({error}); check its permissions") from error
    except ValueError as error:
        raise DiffError(f"{says}{manifest_path} is not valid JSON ({error}); the folder is damaged: "
                        "export or apply again") from error
    if not isinstance(manifest, dict):
        raise DiffError(f"{says}{manifest_path} is not a JSON object; the folder is damaged: export or apply again")
    run = RunFolder(path, manifest, _format(path, manifest, says), label)
    for entry in manifest.get("files") or []:
        listed = entry.get("path") if isinstance(entry, dict) else None
        if isinstance(listed, str) and not (path / listed).is_file():
            raise DiffError(f"{says}{path}: {MANIFEST} lists {listed}, which is missing; the folder is "
                            "incomplete: copy it again, or export or apply again")
    if not run.has("kept"):
        raise DiffError(f"{says}{path} holds no data files ({_pattern(run.format)}); {_HOW}")
    return run


def _format(path: Path, manifest: dict, says: str) -> str:
    """The manifest's `format`, or the one whose files the folder holds."""
    format = manifest.get("format")
    if format in _FORMATS:
        return format
    if format is not None:
        raise DiffError(f"{says}{path / MANIFEST} names the format {format!r}; Loupe writes "
                        f"{', '.join(_FORMATS)}: the folder is not Loupe's, or damaged")
    for candidate in _FORMATS:
        if candidate == "hf" and (path / "state.json").is_file() or any(path.glob(_pattern(candidate))):
            return candidate
    return "jsonl"


def _pattern(format: str) -> str:
    return "data-*.arrow" if format == "hf" else f"part-*.{format}"


def _guard(path: Path, what: str, read):
    try:
        return read()
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DiffError(f"{path} cannot be read as {what} ({error}); the folder is damaged: "
                        "export or apply again") from error


# ---- one reader per format: yields batches holding (at least) `names` ---------------


def _parquet(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    reader = _guard(path, "Parquet", lambda: pq.ParquetFile(path))
    batches = reader.iter_batches(batch_size=BATCH_ROWS, columns=names)
    while True:
        batch = _guard(path, "Parquet", lambda: next(batches, None))
        if batch is None:
            return
        yield batch


def _arrow_schema(path: Path) -> pa.Schema:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_stream(source).schema


def _arrow(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    with _guard(path, "an Arrow stream", lambda: pa.memory_map(str(path))) as source:
        reader = _guard(path, "an Arrow stream", lambda: pa.ipc.open_stream(source))
        while True:
            batch = _guard(path, "an Arrow stream", lambda: _next_batch(reader))
            if batch is None:
                return
            yield batch.select(names)


def _next_batch(reader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


def _first_jsonl_row(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as lines:
            numbered = ((n, line) for n, line in enumerate(lines, 1) if line.strip())
            number, line = next(numbered, (0, ""))
            row = json.loads(line) if number else None
    except (OSError, UnicodeDecodeError) as error:
        raise _damaged(path, f"cannot be read as UTF-8 JSON lines ({error})") from error
    except ValueError as error:
        raise _damaged(path, f"line {number} is not JSON ({error})") from error
    if number and not isinstance(row, dict):
        raise _damaged(path, f"line {number} is not a JSON object")
    return row


def _jsonl(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    """Arrow's JSON reader with a schema of `names` alone; when it gives up (a value of
    another type, a line longer than its block), line by line from where it stopped,
    which also names the line that is not JSON."""
    schema = pa.schema([(c, _JSON_TYPES[c]) for c in names])
    done = 0
    try:
        reader = pajson.open_json(path, read_options=pajson.ReadOptions(block_size=_JSON_BLOCK),
                                  parse_options=pajson.ParseOptions(explicit_schema=schema,
                                                                    unexpected_field_behavior="ignore"))
        for batch in reader:
            done += batch.num_rows
            yield batch
        return
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    yield from _jsonl_lines(path, names, skip=done)


def _jsonl_lines(path: Path, names: list[str], skip: int) -> Iterator[pa.RecordBatch]:
    columns: dict[str, list] = {c: [] for c in names}
    rows = 0
    try:
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                rows += 1
                if rows <= skip:
                    continue
                try:
                    row = json.loads(line)
                except ValueError as error:
                    raise _damaged(path, f"line {number} is not JSON ({error})") from error
                if not isinstance(row, dict):
                    raise _damaged(path, f"line {number} is not a JSON object")
                for c in names:
                    value = row.get(c)
                    columns[c].append(value if value is None or c == "tokens" else str(value))
                if len(columns["id"]) >= BATCH_ROWS:
                    yield _batch(path, columns)
                    columns = {c: [] for c in names}
    except (OSError, UnicodeDecodeError) as error:
        raise _damaged(path, f"cannot be read as UTF-8 JSON lines ({error})") from error
    if columns["id"]:
        yield _batch(path, columns)


def _batch(path: Path, columns: dict[str, list]) -> pa.RecordBatch:
    try:
        return pa.RecordBatch.from_pydict({c: pa.array(v, TYPES[c]) for c, v in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise DiffError(f"{path}: a column has values of an unexpected type ({error}); "
                        "tokens must be whole numbers") from error
