"""Fuzzing the readers (issue 8, section 2, point 2): arbitrary bytes, names and nesting.

Property of every reader on any input: it either refuses the source with a
SourceError, or yields Records numbered 0..n-1, each with fields or an error
(never both), `count()` equals the number of records, and `records(start)`
resumes exactly where a stopped ingest would. No other exception, ever.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexing.ingest.records import Record
from indexing.errors import SourceError
from indexing.ingest.sources import open_source
from tests.fuzz.strategies import examples, field_names, json_values, jsonl_line, nested_json, texts


def check_reader(path: Path) -> list[Record] | None:
    """The reader's contract on `path`; the records, or None when the source is refused."""
    try:
        source = open_source(path)
        total = source.count()
    except SourceError as error:
        assert str(error)
        return None
    records = list(source.records())
    assert total == len(records), f"count() {total} != {len(records)} records"
    for ordinal, record in enumerate(records):
        assert isinstance(record, Record)
        assert record.ordinal == ordinal
        assert (record.fields is None) != (record.error is None), record
        assert isinstance(record.line, int) and record.line >= 0
        if record.error is not None:
            assert isinstance(record.error, str) and record.error
        else:
            assert isinstance(record.fields, dict)
    shown = [repr(r) for r in records]  # repr: NaN equals itself there
    for start in sorted({0, 1, len(records) // 2, max(0, len(records) - 1), len(records), len(records) + 3}):
        assert [repr(r) for r in source.records(start)] == shown[start:], f"records({start}) does not resume"
    return records


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def _mutate(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    """Truncate at `cut` (from the end) and overwrite a few bytes: a damaged file."""
    out = bytearray(data[: max(0, len(data) - cut)])
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    return bytes(out)


SUFFIXES = [".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".csv", ".csv.gz", ".parquet"]
damage = st.tuples(st.integers(0, 64), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4))


@settings(max_examples=examples(60))
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=600), compressed_raw=st.booleans())
@example(suffix=".csv", data=b'id,text\n1,"unterminated\n2,b\n', compressed_raw=False)
@example(suffix=".jsonl", data=b"[" * 5000 + b"\n" + b'{"text": "ok"}\n', compressed_raw=False)
@example(suffix=".jsonl", data=b'{"text": "a"}\n\xff\xfe\n{"text": "b"}\n', compressed_raw=False)
def test_any_bytes_in_any_format(suffix, data, compressed_raw):
    """Arbitrary bytes under every accepted file name (also as raw bytes named .gz/.zst)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        if compressed_raw:
            path.write_bytes(data)  # not compressed at all, whatever the name says
        else:
            _write(path, data)
        check_reader(path)


def _valid_file(path: Path, rows: list[dict]) -> None:
    name = path.name
    if ".csv" in name:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "text", "n"])
        writer.writerows([[r["id"], r["text"], r["n"]] for r in rows])
        _write(path, buffer.getvalue().encode())
    elif name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=max(1, len(rows) // 3))
    else:
        _write(path, "".join(jsonl_line(r) for r in rows).encode())


@settings(max_examples=examples(60))
@given(suffix=st.sampled_from(SUFFIXES), texts=st.lists(texts, min_size=1, max_size=12), damage=damage)
def test_damaged_valid_files(suffix, texts, damage):
    """A valid file of each format, truncated and with bytes overwritten (a torn copy)."""
    rows = [{"id": f"r{i}", "text": t, "n": i} for i, t in enumerate(texts)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        _valid_file(path, rows)
        path.write_bytes(_mutate(path.read_bytes(), *damage))
        check_reader(path)


@settings(max_examples=examples(60))
@given(rows=st.lists(st.dictionaries(field_names(), json_values(field_names())), max_size=6),
       blank=st.sampled_from(["", "\n", "\r\n", "   \n"]))
def test_jsonl_objects_with_any_names_and_values(rows, blank):
    """Every object with any keys is a record whose fields are exactly the object."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "f.jsonl", (blank.join(jsonl_line(r) for r in rows)).encode())
        records = check_reader(path)
        assert records is not None
        assert [json.dumps(r.fields, sort_keys=True) for r in records] == [json.dumps(r, sort_keys=True) for r in rows]


@settings(max_examples=examples(30))
@given(depth=st.integers(0, 3000))
@example(depth=988)
@example(depth=1500)
def test_jsonl_nesting_depth(depth):
    """A record nested `depth` levels between two good ones: the good ones are records,
    the deep one is a record or a clean error (issue 8, defect 6: one limit, at reading)."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = ['{"id": "a", "text": "first"}', '{"id": "b", "text": "deep", "v": ' + nested_json(depth) + "}",
                 '{"id": "c", "text": "last"}']
        path = _write(Path(tmp) / "f.jsonl", ("\n".join(lines) + "\n").encode())
        records = check_reader(path)
        assert records is not None and len(records) == 3
        assert records[0].fields == {"id": "a", "text": "first"}
        assert records[2].fields == {"id": "c", "text": "last"}


@settings(max_examples=examples(50))
@given(header=st.lists(field_names(), min_size=1, max_size=6),
       cells=st.lists(st.lists(st.text(max_size=8), max_size=8), max_size=6))
def test_csv_any_header_and_cells(header, cells):
    """A CSV written by the csv module with any header (repeats, '', '.', quotes, newlines)
    and ragged rows: one record per row, no header name lost."""
    with tempfile.TemporaryDirectory() as tmp:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(cells)
        path = _write(Path(tmp) / "f.csv", buffer.getvalue().encode())
        records = check_reader(path)
        if records is None or not any(header):  # a header of only blank names may be no header at all
            return
        for record in records:
            if record.fields is not None:
                assert len(record.fields) == len(header), "a repeated header name lost a column"


@settings(max_examples=examples(30))
@given(before=st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=8), max_size=4),
       after=st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=8), min_size=1, max_size=4))
def test_csv_unterminated_quote_is_reported_and_reading_goes_on(before, after):
    """issue 8, defect 13: a quote that never closes (the last quote in the file) is an
    error record at its line, and the rows after it are still read."""
    lines = ["id,text"] + [f"b{i},{t}" for i, t in enumerate(before)]
    bad_line = len(lines) + 1
    lines.append('bad,"never closed')
    lines += [f"a{i},{t}" for i, t in enumerate(after)]
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "f.csv", ("\n".join(lines) + "\n").encode())
        records = check_reader(path)
        assert records is not None
        errors = [r for r in records if r.error is not None]
        assert any(r.line == bad_line for r in errors), f"no error at line {bad_line}: {records}"
        ids = [r.fields["id"] for r in records if r.fields is not None]
        assert ids == [f"b{i}" for i in range(len(before))] + [f"a{i}" for i in range(len(after))]


@settings(max_examples=examples(40))
@given(names=st.lists(field_names(), min_size=1, max_size=5, unique=True), rows=st.integers(0, 7),
       values=json_values(), nested=st.booleans())
def test_parquet_any_column_names(names, rows, values, nested):
    """Parquet columns with any names (and a struct column): every row is a record."""
    columns = {name: [f"{name[:5]}-{i}" for i in range(rows)] for name in names}
    if nested:
        columns["nested"] = [{"a.b": {"c": [i, i + 1]}, "`": str(values)} for i in range(rows)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.parquet"
        pq.write_table(pa.table(columns), path, row_group_size=3)
        records = check_reader(path)
        assert records is not None and len(records) == rows
        assert all(r.fields is not None and set(names) <= set(r.fields) for r in records)


_FILE_NAME = st.text(alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
                     min_size=1, max_size=30).filter(lambda n: n not in (".", ".."))


@settings(max_examples=examples(40))
@given(files=st.dictionaries(st.tuples(_FILE_NAME, st.sampled_from([".txt", ".md", ".TXT", ".bin"])),
                             st.binary(max_size=200), max_size=6),
       subdir=st.booleans())
def test_text_folders(files, subdir):
    """A folder of files with any names (hidden, unicode, other suffixes) and any bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        root.mkdir()
        for (stem, suffix), data in files.items():
            folder = root / "sub" if subdir else root
            folder.mkdir(exist_ok=True)
            try:
                (folder / f"{stem[:200]}{suffix}").write_bytes(data)
            except OSError:  # a name the file system refuses (too long in bytes)
                continue
        records = check_reader(root)
        assert records is not None
        for record in records:
            if record.fields is not None:
                assert set(record.fields) == {"path", "text"}


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst", ".csv.gz"])
def test_concatenated_and_empty_streams(suffix, tmp_path):
    """Empty compressed files and two concatenated frames: still the reader contract."""
    empty = _write(tmp_path / f"empty{suffix}", b"")
    check_reader(empty)
    if "csv" in suffix:
        body = b"id,text\n1,a\n"
        more = b"2,b\n"
    else:
        body, more = b'{"text": "a"}\n', b'{"text": "b"}\n'
    path = tmp_path / f"two{suffix}"
    one = gzip.compress(body) if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress(body)
    two = gzip.compress(more) if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress(more)
    path.write_bytes(one + two)
    records = check_reader(path)
    assert records is not None and len(records) == 2
