"""Unit tests for indexing.ingest.sources: every reader's records, ordinals, lines, errors and resume."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from indexing.ingest.sources import hf_dataset, parquet
from indexing.ingest.records import MAX_NESTING, Record, too_deep
from indexing.errors import SourceError
from indexing.ingest.sources import open_source


STREAM = "compressed stream is corrupt or truncated: "
NOT_UTF8 = "not UTF-8: 'utf-8' codec can't decode "
PARQUET_SCHEMA = pa.schema([("id", pa.int64()), ("text", pa.string()), ("tags", pa.list_(pa.int64()))])


def check_consistent(source) -> list[Record]:
    """Return all records after checking what resume and progress rely on:
    ordinals 0..n-1 in order, count() == n, records(s) == the tail from s, one of fields/error set."""
    full = list(source.records())
    assert [r.ordinal for r in full] == list(range(len(full)))
    assert source.count() == len(full)
    n = len(full)
    starts = range(n + 2) if n <= 40 else [0, 1, 2, n // 2, n - 2, n - 1, n, n + 1]
    for start in starts:
        assert list(source.records(start)) == full[start:]
    for r in full:
        assert (r.fields is None) != (r.error is None)
    return full


def write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


# ---------------------------------------------------------------- JSONL

JSONL = b'{"text": "a", "n": 1}\n\n   \t\n{"text": "b", "tags": [1, 2]}\n{"text": "c"}'


def test_jsonl_fields_ordinals_and_physical_lines(tmp_path):
    path = write(tmp_path / "d.jsonl", JSONL)
    src = open_source(path)
    assert src.kind == "jsonl"
    assert check_consistent(src) == [
        Record(0, path, 1, fields={"text": "a", "n": 1}),
        Record(1, path, 4, fields={"text": "b", "tags": [1, 2]}),
        Record(2, path, 5, fields={"text": "c"}),
    ]


def test_jsonl_bad_lines_become_error_records_and_reading_goes_on(tmp_path):
    data = b'{"ok": 1}\n{"broken": \n[1, 2]\n"str"\n{"t": "caf\xe9"}\n\n{"ok": 2}\r\n'
    path = write(tmp_path / "d.ndjson", data)
    recs = check_consistent(open_source(path))
    assert [(r.ordinal, r.line) for r in recs] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 7)]
    assert recs[0].fields == {"ok": 1}
    assert recs[1].error == "malformed JSON: Expecting value: line 1 column 12 (char 11)"
    assert recs[2].error == "not a JSON object"
    assert recs[3].error == "not a JSON object"
    assert recs[4].error == NOT_UTF8 + "byte 0xe9 in position 10: invalid continuation byte"
    assert recs[5] == Record(5, path, 7, fields={"ok": 2})


def test_jsonl_utf8_bom_and_non_ascii(tmp_path):
    path = write(tmp_path / "d.jsonl", b'\xef\xbb\xbf{"t": "\xc3\xa9\xe2\x80\xa8x"}\n')
    assert check_consistent(open_source(path)) == [Record(0, path, 1, fields={"t": "é\u2028x"})]


def test_jsonl_too_deep_and_huge_int_are_errors_not_crashes(tmp_path):
    data = b"[" * 100_000 + b"\n" + b'{"n": ' + b"9" * 5000 + b"}\n"
    recs = check_consistent(open_source(write(tmp_path / "d.jsonl", data)))
    assert recs[0].error == f"nested too deeply: more than {MAX_NESTING} levels"
    assert recs[1].error.startswith("malformed JSON: ")


def nested(depth: int):
    value: object = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("depth, deep", [(0, False), (1, False), (MAX_NESTING, False), (MAX_NESTING + 1, True),
                                         (988, True), (50_000, True)])
def test_nesting_depth_is_checked_without_recursion(depth, deep):
    """issue 8, defect 6: a record nested 988 levels deep killed the run (RecursionError)."""
    assert too_deep({"f": nested(depth)} if depth else {"f": 1}) is (depth + 1 > MAX_NESTING)
    assert too_deep(nested(depth)) is deep


def test_nesting_check_of_a_wide_record_is_fast():
    import time

    record = {f"f{i}": [i, {"a": i}] for i in range(100_000)}
    started = time.perf_counter()
    assert not too_deep(record)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".ndjson.gz", ".jsonl.zst", ".ndjson.zst"])
def test_jsonl_compressed_reads_like_plain(tmp_path, suffix):
    compress = gzip.compress if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress
    path = write(tmp_path / f"d{suffix}", compress(JSONL))
    src = open_source(path)
    assert src.kind == "jsonl"
    assert [(r.ordinal, r.line, r.fields) for r in check_consistent(src)] == [
        (0, 1, {"text": "a", "n": 1}),
        (1, 4, {"text": "b", "tags": [1, 2]}),
        (2, 5, {"text": "c"}),
    ]


def test_jsonl_zst_with_several_frames(tmp_path):
    z = zstandard.ZstdCompressor()
    data = z.compress(b'{"a": 1}\n') + z.compress(b'{"a": 2}\n{"a": 3}\n')
    path = write(tmp_path / "d.jsonl.zst", data)
    assert [r.fields for r in check_consistent(open_source(path))] == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_jsonl_large_gz_many_chunks(tmp_path):
    lines = [json.dumps({"i": i, "pad": "x" * (i % 300)}) for i in range(5000)]
    path = write(tmp_path / "d.jsonl.gz", gzip.compress("\n".join(lines).encode()))
    recs = check_consistent(open_source(path))
    assert [r.fields["i"] for r in recs] == list(range(5000))
    assert recs[-1].line == 5000


def test_truncated_gz_yields_good_lines_then_one_error(tmp_path):
    # The deflate data is whole; the 8-byte trailer is gone.
    data = gzip.compress(b'{"a": 1}\n\n{"a": 2}\n')[:-8]
    path = write(tmp_path / "d.jsonl.gz", data)
    recs = check_consistent(open_source(path))
    assert recs[:2] == [Record(0, path, 1, fields={"a": 1}), Record(1, path, 3, fields={"a": 2})]
    assert len(recs) == 3
    assert (recs[2].ordinal, recs[2].line) == (2, 4)
    assert recs[2].error == STREAM + "Compressed file ended before the end-of-stream marker was reached"


def test_truncated_gz_mid_data(tmp_path):
    data = gzip.compress(b"".join(b'{"i": %d}\n' % i for i in range(3000)))
    recs = check_consistent(open_source(write(tmp_path / "d.jsonl.gz", data[: len(data) // 2])))
    assert all(r.fields == {"i": r.ordinal} and r.line == r.ordinal + 1 for r in recs[:-1])
    assert len(recs) > 100
    assert recs[-1].line == recs[-1].ordinal + 1
    assert recs[-1].error.startswith("compressed stream is corrupt or truncated: ")


def test_not_really_gzip(tmp_path):
    path = write(tmp_path / "d.jsonl.gz", b'{"a": 1}\n')
    assert check_consistent(open_source(path)) == [
        Record(0, path, 1, error=STREAM + "Not a gzipped file (b'{\"')")
    ]


def test_truncated_zst_last_frame(tmp_path):
    z = zstandard.ZstdCompressor()
    data = z.compress(b'{"a": 1}\n{"a": 2}\n') + z.compress(b'{"a": 3}\n')[:-2]
    path = write(tmp_path / "d.jsonl.zst", data)
    recs = check_consistent(open_source(path))
    assert recs == [
        Record(0, path, 1, fields={"a": 1}),
        Record(1, path, 2, fields={"a": 2}),
        Record(2, path, 3, error=STREAM + "input ended in the middle of a frame"),
    ]


def test_corrupt_zst(tmp_path):
    path = write(tmp_path / "d.jsonl.zst", b"this is not zstd at all\n")
    recs = check_consistent(open_source(path))
    assert len(recs) == 1 and recs[0].line == 1
    assert recs[0].error.startswith("compressed stream is corrupt or truncated: ")


# ---------------------------------------------------------------- CSV


def test_csv_fields_types_and_start_lines(tmp_path):
    data = b'id,text,score,flag\n1,hello,0.5,yes\n2,"multi\nline, with comma",1,\n\n3,x,,no\n'
    path = write(tmp_path / "d.csv", data)
    src = open_source(path)
    assert src.kind == "csv"
    assert check_consistent(src) == [
        Record(0, path, 2, fields={"id": 1, "text": "hello", "score": 0.5, "flag": "yes"}),
        Record(1, path, 3, fields={"id": 2, "text": "multi\nline, with comma", "score": 1.0, "flag": ""}),
        Record(2, path, 6, fields={"id": 3, "text": "x", "score": None, "flag": "no"}),
    ]
    assert type(check_consistent(src)[1].fields["score"]) is float


def test_csv_crlf_bom_and_gz(tmp_path):
    data = "\ufeffid,text\r\n1,\"a\r\nb\"\r\n2,é\r\n".encode()
    for name, payload in [("d.csv", data), ("d.csv.gz", gzip.compress(data))]:
        path = write(tmp_path / name, payload)
        assert check_consistent(open_source(path)) == [
            Record(0, path, 2, fields={"id": 1, "text": "a\r\nb"}),
            Record(1, path, 4, fields={"id": 2, "text": "é"}),
        ]


def test_csv_row_too_long_is_an_error_and_short_row_is_padded(tmp_path):
    path = write(tmp_path / "d.csv", b"a,b\n1,2,3\n4\n5,6\n")
    assert check_consistent(open_source(path)) == [
        Record(0, path, 2, error="expected 2 fields, found 3"),
        Record(1, path, 3, fields={"a": 4, "b": None}),
        Record(2, path, 4, fields={"a": 5, "b": 6}),
    ]


def test_csv_type_inference_uses_first_1000_records(tmp_path):
    rows = [["n", "f", "s", "zip", "i", "empty"]]
    rows += [[str(i), f"{i}.5", str(i), f"0{i % 10}", "1", ""] for i in range(1000)]
    rows[500][2] = "oops"  # inside the first 1000: column s is text
    rows += [
        ["x", "nan", "7", "01", "word", "3"],
        ["", "", "", "", "", ""],
        ["12", "-1e3", "8", "02", " 9 ", ""],
    ]
    path = tmp_path / "d.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    recs = check_consistent(open_source(path))
    assert len(recs) == 1003
    assert recs[0].fields == {"n": 0, "f": 0.5, "s": "0", "zip": "00", "i": 1, "empty": ""}
    assert recs[1000].fields == {"n": "x", "f": "nan", "s": "7", "zip": "01", "i": "word", "empty": "3"}
    assert recs[1001].fields == {"n": None, "f": None, "s": "", "zip": "", "i": None, "empty": ""}
    assert recs[1002].fields == {"n": 12, "f": -1000.0, "s": "8", "zip": "02", "i": 9, "empty": ""}
    assert recs[1002].line == 1004


def test_csv_int_column_keeps_a_later_float_as_text(tmp_path):
    path = write(tmp_path / "d.csv", b"n\n1\n2\n" + b"3\n" * 1000 + b"3.5\n-0\n")
    recs = list(open_source(path).records(1000))
    assert [r.fields for r in recs] == [{"n": 3}, {"n": 3}, {"n": "3.5"}, {"n": 0}]


def test_csv_duplicate_header_names_are_kept_apart(tmp_path):
    path = write(tmp_path / "d.csv", b"a,a,b\nx,y,z\n")
    assert [r.fields for r in check_consistent(open_source(path))] == [{"a": "x", "a.1": "y", "b": "z"}]


def test_csv_long_field(tmp_path):
    text = "w" * 300_000
    path = write(tmp_path / "d.csv", f'text\n"{text}"\n'.encode())
    assert [r.fields for r in check_consistent(open_source(path))] == [{"text": text}]


def test_csv_unterminated_quote_is_an_error_and_reading_goes_on(tmp_path):
    """issue 8, defect 13: an unterminated quote swallowed the rest of the file silently."""
    path = write(tmp_path / "d.csv", b'id,text\n1,hello\n2,"oops\n3,fine\n4,also\n\n5,end\n')
    assert check_consistent(open_source(path)) == [
        Record(0, path, 2, fields={"id": 1, "text": "hello"}),
        Record(1, path, 3, error="malformed CSV: unterminated quote"),
        Record(2, path, 4, fields={"id": 3, "text": "fine"}),
        Record(3, path, 5, fields={"id": 4, "text": "also"}),
        Record(4, path, 7, fields={"id": 5, "text": "end"}),
    ]


def test_csv_unterminated_quote_on_the_last_line_and_in_gz(tmp_path):
    data = b'a,b\n1,"x\n'
    for name, payload in [("d.csv", data), ("d.csv.gz", gzip.compress(data)), ("e.csv", data.rstrip())]:
        path = write(tmp_path / name, payload)
        assert check_consistent(open_source(path)) == [Record(0, path, 2, error="malformed CSV: unterminated quote")]


def test_csv_quoted_newlines_still_span_lines(tmp_path):
    path = write(tmp_path / "d.csv", b'a,b\n1,"x\ny"\n2,"p""q"\n')
    assert check_consistent(open_source(path)) == [
        Record(0, path, 2, fields={"a": 1, "b": "x\ny"}),
        Record(1, path, 4, fields={"a": 2, "b": 'p"q'}),
    ]


def test_csv_not_utf8_is_one_error_at_the_bad_line(tmp_path):
    path = write(tmp_path / "d.csv", b"a,b\n1,2\n3,\xff4\n5,6\n")
    src = open_source(path)
    assert check_consistent(src) == [
        Record(0, path, 3, error=NOT_UTF8 + "byte 0xff in position 2: invalid start byte")
    ]
    assert src.count() == 1
    assert list(src.records(1)) == []


def test_csv_cache_follows_file_changes(tmp_path):
    path = tmp_path / "d.csv"
    write(path, b"a\n1\n")
    src = open_source(path)
    assert [r.fields for r in src.records()] == [{"a": 1}]
    write(path, b"a\nx\n\xff\n")
    os.utime(path, ns=(1, 1))
    assert [r.error[:10] for r in src.records()] == ["not UTF-8:"]
    write(path, b"a\nx\n")
    assert [r.fields for r in check_consistent(src)] == [{"a": "x"}]


def test_csv_truncated_gz(tmp_path):
    path = write(tmp_path / "d.csv.gz", gzip.compress(b"a\n1\n2\n")[:-8])
    recs = check_consistent(open_source(path))
    assert [r.fields for r in recs[:2]] == [{"a": 1}, {"a": 2}]
    assert len(recs) == 3 and recs[2].error.startswith("compressed stream is corrupt or truncated: ")


# ---------------------------------------------------------------- Parquet


def write_parquet(path: Path, n: int, row_group_size: int) -> str:
    rows = [{"id": i, "text": f"doc {i}", "tags": [i] * (i % 3)} for i in range(n)]
    table = pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA)
    pq.write_table(table, path, row_group_size=row_group_size)
    return str(path)


def test_parquet_rows_and_row_numbers(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", 10, row_group_size=3)
    src = open_source(path)
    assert src.kind == "parquet"
    recs = check_consistent(src)
    expected = [{"id": i, "text": f"doc {i}", "tags": [i] * (i % 3)} for i in range(10)]
    assert recs == [Record(i, path, i + 1, fields=fields) for i, fields in enumerate(expected)]


def test_parquet_resume_reads_only_the_row_groups_it_needs(tmp_path, monkeypatch):
    path = write_parquet(tmp_path / "d.parquet", 10, row_group_size=3)
    asked = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        asked.append(kwargs.get("row_groups"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    monkeypatch.setattr(parquet, "_BATCH", 2)
    assert [r.fields["id"] for r in open_source(path).records(7)] == [7, 8, 9]
    assert asked == [[2], [3]]


def test_parquet_corrupt_row_group_errors_every_row_in_it(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", 6, row_group_size=2)
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(Path(path).read_bytes())
    offset, size = column.data_page_offset, column.total_compressed_size
    data[offset : offset + size] = b"\xff" * size
    Path(path).write_bytes(bytes(data))
    recs = check_consistent(open_source(path))
    assert [r.fields["id"] if r.fields else None for r in recs] == [0, 1, None, None, 4, 5]
    assert [r.line for r in recs] == [1, 2, 3, 4, 5, 6]
    assert recs[2].error.startswith("unreadable row group 1: ") and "\n" not in recs[2].error
    assert recs[3].error == recs[2].error


def test_parquet_empty_and_not_parquet(tmp_path):
    path = write_parquet(tmp_path / "e.parquet", 0, row_group_size=3)
    assert check_consistent(open_source(path)) == []
    bad = open_source(write(tmp_path / "bad.parquet", b"not parquet"))
    with pytest.raises(SourceError) as exc:
        bad.count()
    assert exc.value.reason.startswith("not a readable Parquet file")
    with pytest.raises(SourceError):
        list(bad.records())


# ---------------------------------------------------------------- text directories


def test_text_dir_sorted_recursive_hidden_skipped(tmp_path):
    root = tmp_path / "corpus"
    write(root / "b.txt", b"bee")
    write(root / "a" / "z.md", b"# zed\n")
    write(root / "a.txt", "\ufeffay é".encode())
    write(root / "C.TXT", b"upper")
    write(root / ".hidden.txt", b"no")
    write(root / ".git" / "x.txt", b"no")
    write(root / "a" / ".cache" / "y.md", b"no")
    write(root / "notes.rst", b"no")
    (root / "dir.txt").mkdir()
    src = open_source(root, text_field="content")
    assert src.kind == "text"
    assert check_consistent(src) == [
        Record(0, os.path.join(str(root), "C.TXT"), 1, fields={"content": "upper", "path": "C.TXT"}),
        Record(1, os.path.join(str(root), "a.txt"), 1, fields={"content": "ay é", "path": "a.txt"}),
        Record(2, os.path.join(str(root), "a/z.md"), 1, fields={"content": "# zed\n", "path": "a/z.md"}),
        Record(3, os.path.join(str(root), "b.txt"), 1, fields={"content": "bee", "path": "b.txt"}),
    ]


def test_text_dir_bad_files_are_error_records(tmp_path):
    root = tmp_path / "corpus"
    write(root / "a.txt", b"line one\nline two \xfe\n")
    write(root / "b.txt", b"fine")
    os.symlink(root / "gone.txt", root / "c.txt")
    recs = check_consistent(open_source(str(root)))
    assert recs == [
        Record(0, str(root / "a.txt"), 2, error=NOT_UTF8 + "byte 0xfe in position 18: invalid start byte"),
        Record(1, str(root / "b.txt"), 1, fields={"text": "fine", "path": "b.txt"}),
        Record(2, str(root / "c.txt"), 1, error="cannot read file: No such file or directory"),
    ]


def test_empty_sources_yield_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    for path in [
        write(tmp_path / "e.jsonl", b""),
        write(tmp_path / "b.jsonl", b"\n  \n"),
        write(tmp_path / "e.csv", b""),
        write(tmp_path / "h.csv", b"a,b\n"),
        str(tmp_path / "empty"),
    ]:
        assert check_consistent(open_source(path)) == []


# ---------------------------------------------------------------- Hugging Face


def test_hf_dataset(tmp_path):
    import datasets

    path = str(tmp_path / "ds")
    datasets.Dataset.from_dict({"text": ["a", "b", "c"], "n": [1, 2, 3]}).save_to_disk(path)
    src = open_source(path)
    assert src.kind == "hf"
    assert check_consistent(src) == [
        Record(0, path, 1, fields={"text": "a", "n": 1}),
        Record(1, path, 2, fields={"text": "b", "n": 2}),
        Record(2, path, 3, fields={"text": "c", "n": 3}),
    ]


def test_hf_dataset_dict_splits_in_sorted_order(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(hf_dataset, "_BATCH", 2)  # several batches per split
    path = str(tmp_path / "dd")
    train = datasets.Dataset.from_dict({"text": ["t0", "t1", "t2"]})
    test = datasets.Dataset.from_dict({"text": ["s0", "s1"]})
    datasets.DatasetDict({"train": train, "test": test}).save_to_disk(path)
    src = open_source(path)
    assert src.kind == "hf"
    assert check_consistent(src) == [
        Record(0, f"{path}[test]", 1, fields={"text": "s0", "split": "test"}),
        Record(1, f"{path}[test]", 2, fields={"text": "s1", "split": "test"}),
        Record(2, f"{path}[train]", 1, fields={"text": "t0", "split": "train"}),
        Record(3, f"{path}[train]", 2, fields={"text": "t1", "split": "train"}),
        Record(4, f"{path}[train]", 3, fields={"text": "t2", "split": "train"}),
    ]


# ---------------------------------------------------------------- open_source and fingerprints


def test_open_source_identity(tmp_path, monkeypatch):
    write(tmp_path / "d.jsonl", b"{}\n")
    monkeypatch.chdir(tmp_path)
    src = open_source(Path("d.jsonl"))
    assert (src.path, src.key, src.kind) == ("d.jsonl", str((tmp_path / "d.jsonl").resolve()), "jsonl")
    assert list(src.records()) == [Record(0, "d.jsonl", 1, fields={})]


def test_open_source_missing_path(tmp_path):
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(SourceError) as exc:
        open_source(missing)
    assert (exc.value.path, exc.value.reason) == (missing, "no such file or directory")


@pytest.mark.parametrize("name", ["d.json", "d.txt", "d.tsv", "d.jsonl.bz2", "d"])
def test_open_source_unknown_format(tmp_path, name):
    path = write(tmp_path / name, b"{}\n")
    with pytest.raises(SourceError) as exc:
        open_source(path)
    assert exc.value.path == path
    assert exc.value.reason.startswith("unknown format; accepted: ")
    for accepted in (".jsonl", ".ndjson", ".parquet", ".csv", "save_to_disk", ".txt/.md"):
        assert accepted in exc.value.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_open_source_permission_denied(tmp_path):
    path = write(tmp_path / "d.jsonl", b"{}\n")
    os.chmod(path, 0)
    with pytest.raises(SourceError) as exc:
        open_source(path)
    assert exc.value.reason == "permission denied"


def test_open_source_permission_denied_simulated(tmp_path, monkeypatch):
    path = write(tmp_path / "d.csv", b"a\n")

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(SourceError) as exc:
        open_source(path)
    assert (exc.value.path, exc.value.reason) == (path, "permission denied")


def test_fingerprint_changes_when_a_file_grows(tmp_path):
    path = tmp_path / "d.jsonl"
    write(path, b'{"a": 1}\n')
    src = open_source(path)
    before = src.fingerprint()
    assert before == {"size": 9, "mtime_ns": os.stat(path).st_mtime_ns}
    assert src.fingerprint() == before
    with open(path, "ab") as fh:
        fh.write(b'{"a": 2}\n')
    after = src.fingerprint()
    assert after != before and after["size"] == 18
    assert json.loads(json.dumps(after)) == after


def test_directory_fingerprint(tmp_path):
    root = tmp_path / "corpus"
    write(root / "a.txt", b"aa")
    write(root / "sub" / "b.md", b"bbb")
    write(root / ".hidden.txt", b"ignored")
    os.utime(root / "a.txt", ns=(5, 5_000))
    os.utime(root / "sub" / "b.md", ns=(5, 7_000))
    src = open_source(root)
    assert src.fingerprint() == {"files": 2, "size": 5, "mtime_ns": 7_000}
    with open(root / "a.txt", "ab") as fh:
        fh.write(b"more")
    assert src.fingerprint()["size"] == 9
    write(root / "c.txt", b"")
    assert src.fingerprint()["files"] == 3


def test_hf_fingerprint_changes_with_data(tmp_path):
    import datasets

    path = str(tmp_path / "ds")
    datasets.Dataset.from_dict({"text": ["a"]}).save_to_disk(path)
    src = open_source(path)
    before = src.fingerprint()
    assert before["files"] == 3 and before["size"] > 0
    datasets.Dataset.from_dict({"text": ["a", "b" * 1000]}).save_to_disk(str(tmp_path / "ds2"))
    assert open_source(str(tmp_path / "ds2")).fingerprint()["size"] > before["size"]


def test_importing_sources_does_not_import_datasets():
    import subprocess
    import sys

    code = "import sys, indexing.ingest.sources; print('datasets' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_parquet_strings_that_are_not_utf8_are_error_records_and_the_rest_is_read(tmp_path):
    """A damaged Parquet file whose string column holds bytes that are not UTF-8 ended the
    reader (and `loupe index`) in a UnicodeDecodeError from to_pylist (found by the long fuzz
    profile); now that row is a file:row error and every other row is read, in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    good, bad = b"fine text", b"bad \x80 bytes"
    data = good + bad + good
    offsets = pa.array([0, len(good), len(good) + len(bad), len(data)], pa.int32())
    texts = pa.Array.from_buffers(pa.string(), 3, [None, offsets.buffers()[1], pa.py_buffer(data)])
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": texts}), path)
    source = open_source(path)
    records = list(source.records())
    assert source.count() == len(records) == 3
    assert [r.ordinal for r in records] == [0, 1, 2]
    assert records[0].fields["text"] == "fine text" and records[2].fields["id"] == "c"
    assert records[1].fields is None and records[1].error.startswith("not UTF-8") and records[1].line == 2
    assert [r.ordinal for r in source.records(2)] == [2]
