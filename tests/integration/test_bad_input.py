"""Every kind of bad input is reported with file and line, counted, and loses nothing."""

from __future__ import annotations

import gzip
import json

import pytest

from indexing import IngestError, Workspace
from tests.helpers import write_jsonl

GOOD = [{"id": f"g{i}", "text": f"good document number {i} about parsing dates"} for i in range(30)]


def _ws(tmp_path, **kw):
    return Workspace.create(tmp_path / "ws", model="hash:32", id_field="id", **kw)


def _rejection_lines(report):
    return [json.loads(line) for line in open(report.log, encoding="utf-8")]


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "messy.jsonl"
    lines = [json.dumps(GOOD[0]), "{not json", json.dumps({"id": "x1", "body": "no text field"}),
             json.dumps({"id": "x2", "text": ""}), json.dumps({"id": "x3", "text": "   \n "}),
             json.dumps({"id": "x4", "text": "x" * 10_000_000}), json.dumps({"id": "g0", "text": "dup"}),
             json.dumps({"id": "x5", "text": 42}), json.dumps(["a", "list"]), json.dumps(GOOD[1])]
    data = ("\n".join(lines) + "\n").encode()
    data += b'{"id": "latin", "text": "caf\xe9"}\n' + (json.dumps(GOOD[2]) + "\n").encode()
    path.write_bytes(data)
    return path


def test_each_bad_record_is_reported_with_file_and_line(tmp_path, messy):
    ws = _ws(tmp_path)
    report = ws.index([messy])
    assert report.rows_stored == 3 and ws.count() == 3
    assert report.rejected == {
        "malformed JSON": 1, "no 'text' field": 1, "empty text": 2, "text too long": 1,
        "duplicate id": 1, "text is not a string": 1, "not a JSON object": 1, "not UTF-8": 1,
    }
    logged = {(r["line"], r["reason"]) for r in _rejection_lines(report)}
    assert logged == {(2, "malformed JSON"), (3, "no 'text' field"), (4, "empty text"), (5, "empty text"),
                      (6, "text too long"), (7, "duplicate id"), (8, "text is not a string"),
                      (9, "not a JSON object"), (11, "not UTF-8")}
    assert all(r["file"] == str(messy) for r in _rejection_lines(report))
    assert any(e.startswith(f"{messy}:6: text too long") for e in report.examples)
    source = ws.info()["sources"][0]
    assert (source["stored"], source["rejected"], source["records"]) == (3, 9, 12)


def test_empty_files_and_unreadable_paths_are_counted(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (tmp_path / "notes.xyz").write_text("some notes")
    good = write_jsonl(tmp_path / "good.jsonl", GOOD[:5])
    ws = _ws(tmp_path)
    report = ws.index([empty, tmp_path / "missing.parquet", tmp_path / "notes.xyz", good])
    assert ws.count() == 5
    assert report.rejected == {"empty source": 1, "unreadable source": 2}
    text = "\n".join(report.examples)
    assert f"{empty}:0: empty source" in text
    assert f"{tmp_path / 'missing.parquet'}:0: unreadable source (no such file or directory)" in text
    assert "unknown format" in text


def test_fail_mode_stops_at_the_first_bad_record_and_keeps_what_was_stored(tmp_path, messy):
    good = write_jsonl(tmp_path / "good.jsonl", GOOD[5:25])
    ws = _ws(tmp_path)
    ws.index([good])
    version = ws.store.version()
    with pytest.raises(IngestError, match=rf"{messy}:2: malformed JSON"):
        ws.index([messy], on_error="fail")
    assert ws.count() == 20
    assert sorted(ws.docs(columns=["id"]).column("id").to_pylist()) == sorted(r["id"] for r in GOOD[5:25])
    assert ws.store.version() == version
    report = ws.index([messy])  # the same workspace then takes the rest with skip
    assert ws.count() == 23 and report.rows_rejected == 9


def test_duplicate_ids_across_sources_and_runs(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", GOOD[:10])
    b = write_jsonl(tmp_path / "b.jsonl", GOOD[5:15])
    ws = _ws(tmp_path)
    ws.index([a])
    report = ws.index([b])
    assert ws.count() == 15
    assert report.rejected == {"duplicate id": 5}
    assert "'g5' first seen in the workspace" in report.examples[0]


def test_a_corrupt_gzip_keeps_the_records_before_the_break(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in GOOD).encode())
    path.write_bytes(data[: len(data) // 2])
    ws = _ws(tmp_path)
    report = ws.index([path])
    assert report.rejected.get("compressed stream is corrupt or truncated") == 1
    assert 0 < ws.count() < len(GOOD)


def test_mixed_field_types_keep_the_record_and_warn(tmp_path):
    rows = [{"id": "a", "text": "one", "score": 1}, {"id": "b", "text": "two", "score": "high"},
            {"id": "c", "text": "three", "meta": {"k": [1, 2]}, "id_src": "kept"}]
    ws = _ws(tmp_path)
    report = ws.index([write_jsonl(tmp_path / "m.jsonl", rows)], chunk_size=1)
    assert ws.count() == 3
    table = ws.docs(columns=["id", "score", "meta"]).sort_by("id").to_pylist()
    assert [r["score"] for r in table] == [1, None, None]
    assert table[2]["meta"] == '{"k": [1, 2]}'
    assert report.warnings == {"field 'score': value not of type int64, stored as null": 1}
