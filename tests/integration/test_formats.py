"""Every source format goes through the whole index, and its other fields become columns."""

from __future__ import annotations

import csv
import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from indexing import Workspace

ROWS = [{"text": f"sample {i}: the {'cat' if i % 2 else 'dog'} sat on the mat", "lang": "en", "n": i} for i in range(12)]


def _jsonl_bytes() -> bytes:
    return "".join(json.dumps(r) + "\n" for r in ROWS).encode()


def _write(kind: str, tmp_path):
    if kind == "jsonl":
        path = tmp_path / "d.jsonl"
        path.write_bytes(_jsonl_bytes())
    elif kind == "jsonl.gz":
        path = tmp_path / "d.jsonl.gz"
        path.write_bytes(gzip.compress(_jsonl_bytes()))
    elif kind == "jsonl.zst":
        path = tmp_path / "d.jsonl.zst"
        path.write_bytes(zstandard.ZstdCompressor().compress(_jsonl_bytes()))
    elif kind == "parquet":
        path = tmp_path / "d.parquet"
        pq.write_table(pa.Table.from_pylist(ROWS), path, row_group_size=5)
    elif kind == "csv":
        path = tmp_path / "d.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["text", "lang", "n"])
            writer.writeheader()
            writer.writerows(ROWS)
    elif kind == "text":
        path = tmp_path / "texts"
        (path / "sub").mkdir(parents=True)
        for i, row in enumerate(ROWS):
            (path / ("sub" if i % 3 else "") / f"doc{i:02}.{'md' if i % 2 else 'txt'}").write_text(row["text"])
    elif kind == "hf":
        import datasets

        path = tmp_path / "hf"
        datasets.DatasetDict({
            "train": datasets.Dataset.from_list(ROWS[:8]), "test": datasets.Dataset.from_list(ROWS[8:])
        }).save_to_disk(str(path))
    return path


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "jsonl.zst", "parquet", "csv", "text", "hf"])
def test_format_is_indexed_with_its_fields(kind, tmp_path):
    source = _write(kind, tmp_path)
    ws = Workspace.create(tmp_path / "ws", model="hash:32")
    report = ws.index([source])
    assert report.rows_stored == len(ROWS) and report.rows_rejected == 0
    docs = ws.docs()
    assert sorted(docs.column("text").to_pylist()) == sorted(r["text"] for r in ROWS)
    if kind == "text":
        assert "path" in docs.column_names
    else:
        assert docs.schema.field("n").type == pa.int64()
        assert sorted(docs.column("n").to_pylist()) == list(range(12))
        assert set(docs.column("lang_src").to_pylist()) == {"en"}
    if kind == "hf":
        assert sorted(set(docs.column("split").to_pylist())) == ["test", "train"]
        assert any(i.endswith("[train]:1") for i in docs.column("id").to_pylist())
    ids = docs.column("id").to_pylist()
    assert len(set(ids)) == len(ROWS)
    assert ws.info()["ready"]


def test_ids_from_file_and_line_are_stable(tmp_path):
    source = _write("jsonl", tmp_path)
    a = Workspace.create(tmp_path / "a", model="hash:32")
    b = Workspace.create(tmp_path / "b", model="hash:32")
    a.index([source])
    b.index([source])
    assert sorted(a.docs(columns=["id"]).column("id").to_pylist()) == sorted(
        b.docs(columns=["id"]).column("id").to_pylist()
    )
    assert f"{source.as_posix()}:3" in a.docs(columns=["id"]).column("id").to_pylist()


def test_limit_and_sample_are_deterministic(tmp_path):
    source = _write("jsonl", tmp_path)
    limited = Workspace.create(tmp_path / "l", model="hash:32")
    limited.index([source], limit=5)
    assert sorted(limited.docs(columns=["n"]).column("n").to_pylist()) == [0, 1, 2, 3, 4]
    picks = []
    for name in ("s1", "s2"):
        ws = Workspace.create(tmp_path / name, model="hash:32")
        ws.index([source], sample=4, seed=3)
        picks.append(sorted(ws.docs(columns=["n"]).column("n").to_pylist()))
    assert picks[0] == picks[1] and len(picks[0]) == 4
    other = Workspace.create(tmp_path / "s3", model="hash:32")
    other.index([source], sample=4, seed=4)
    assert sorted(other.docs(columns=["n"]).column("n").to_pylist()) != picks[0]
