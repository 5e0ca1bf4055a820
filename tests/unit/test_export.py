"""Unit tests for indexing.exports.export: the curated subset, its manifest, and all-or-nothing writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import indexing
from indexing import Workspace
from indexing.exports import formats as export_formats
from indexing.exports.export import ExportResult, export

REPO = Path(__file__).resolve().parents[2]
UNICODE = ("naïve café — 日本語 🙂\nsecond line\r\nthird\u2028after a line separator \"quoted\" "
           "back\\slash\ttab \u0000nul")
N_DOCS = 25
INTERNAL = {"vector", "_source", "_ordinal", "_line", "x", "y", "placed"}


def _rows():
    rows = []
    for i in range(N_DOCS):
        text = f"document {i} " + " ".join(f"word{j}" for j in range(i * 3))
        rows.append({"id": f"d{i:02d}", "text": UNICODE if i == 3 else text,
                     "kind": "even" if i % 2 == 0 else "odd", "meta": {"n": i}})
    return rows


@pytest.fixture(scope="module")
def ws(indexed_template, tmp_path_factory):
    workspace = indexed_template(_rows()).copy(tmp_path_factory.mktemp("export"))
    assert workspace.count() == N_DOCS
    return workspace


@pytest.fixture(scope="module")
def docs(ws):
    """Every docs row (default export columns) by id, read independently of export."""
    table = ws.docs()
    columns = [c for c in table.column_names if c not in INTERNAL]
    return {r["id"]: r for r in table.select(columns).to_pylist()}, columns


def _read(folder: Path, format: str) -> list[dict]:
    if format == "jsonl":
        rows = []
        for path in sorted(folder.glob("part-*.jsonl")):
            data = path.read_bytes()
            assert b"\r" not in data  # newlines inside texts are escaped, lines end in \n only
            rows += [json.loads(line) for line in data.decode("utf-8").split("\n") if line]
        return rows
    if format == "parquet":
        files = sorted(folder.glob("part-*.parquet"))
        return pa.concat_tables([pq.read_table(p) for p in files]).to_pylist()
    import datasets

    return datasets.load_from_disk(str(folder)).to_list()


def _ids(rows) -> list[str]:
    return [r["id"] for r in rows]


def _tokens(docs_by_id, ids) -> int:
    return sum(docs_by_id[i]["tokens"] for i in ids)


def _leftovers(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if ".tmp-" in p.name]


# ---- what is kept -----------------------------------------------------------


def test_default_export_writes_every_document_with_the_curated_columns(ws, docs):
    by_id, columns = docs
    result = export(ws, "everything")
    assert isinstance(result, ExportResult)
    assert result.path == ws.root / "exports" / "everything"
    assert (result.kept, result.removed) == (N_DOCS, 0)
    rows = _read(result.path, "jsonl")
    assert sorted(_ids(rows)) == sorted(by_id)
    assert all(list(r) == columns for r in rows)  # same columns, same order
    assert result.manifest["columns"] == columns
    assert not set(columns) & INTERNAL and {"id", "text", "kind", "meta", "tokens", "cluster"} <= set(columns)
    assert {r["id"]: r for r in rows} == by_id
    assert json.loads((result.path / "manifest.json").read_text(encoding="utf-8")) == result.manifest
    assert sorted(p.name for p in result.path.iterdir()) == ["manifest.json", "part-00000.jsonl", "recipe.yaml"]


def test_a_predicate_keeps_exactly_the_matching_documents(ws, docs, tmp_path):
    by_id, _ = docs
    threshold = sorted(r["tokens"] for r in by_id.values())[N_DOCS // 2]
    expected = {i for i, r in by_id.items() if r["tokens"] > threshold}
    assert 0 < len(expected) < N_DOCS
    result = export(ws, where=f"tokens > {threshold}", out=tmp_path / "big")
    rows = _read(result.path, "jsonl")
    assert set(_ids(rows)) == expected and len(rows) == len(expected)
    manifest = result.manifest
    assert manifest["predicate"] == f"tokens > {threshold}" and manifest["ids_given"] is None
    assert manifest["kept"] == {"documents": len(expected), "tokens": _tokens(by_id, expected)}
    rest = set(by_id) - expected
    assert manifest["removed"] == {"documents": len(rest), "tokens": _tokens(by_id, rest)}
    assert (result.kept, result.removed) == (len(expected), len(rest))


def test_an_id_list_keeps_those_ids_and_intersects_with_the_predicate(ws, docs, tmp_path):
    by_id, _ = docs
    chosen = ["d01", "d04", "d07", "d20", "d21"]
    result = export(ws, ids=chosen, out=tmp_path / "picked")
    assert sorted(_ids(_read(result.path, "jsonl"))) == chosen
    assert result.manifest["ids_given"] == 5 and result.manifest["predicate"] is None
    assert result.manifest["kept"]["tokens"] == _tokens(by_id, chosen)

    both = export(ws, ids=chosen, where="kind = 'odd'", out=tmp_path / "both")
    assert sorted(_ids(_read(both.path, "jsonl"))) == ["d01", "d07", "d21"]
    assert both.manifest["kept"]["documents"] == 3 and both.manifest["removed"]["documents"] == N_DOCS - 3


def test_a_predicate_over_current_labels_selects_by_label(indexed_workspace):
    ws = indexed_workspace(_rows()[:8])
    ws.labels.add(["d00", "d01", "d02"], "quality", "good")
    ws.labels.add(["d02", "d05"], "quality", "bad")  # d02 is bad now
    good = export(ws, "good", where="quality = 'good'")
    assert sorted(_ids(_read(good.path, "jsonl"))) == ["d00", "d01"]
    not_bad = export(ws, "not-bad", where="quality != 'bad' AND kind = 'even'", include_removed=True)
    assert sorted(_ids(_read(not_bad.path, "jsonl"))) == ["d00", "d04", "d06"]  # unlabelled d04, d06 too
    assert sorted(_ids(_read(not_bad.path / "removed", "jsonl"))) == ["d01", "d02", "d03", "d05", "d07"]
    assert "quality" not in not_bad.manifest["columns"]  # labels select; they are not docs columns
    assert not_bad.manifest["labels"] == {"quality": {"bad": 2, "good": 2}}


def test_a_column_subset_is_exactly_what_is_written(ws, docs, tmp_path):
    by_id, _ = docs
    result = export(ws, columns=["tokens", "id"], out=tmp_path / "narrow")
    rows = _read(result.path, "jsonl")
    assert all(list(r) == ["tokens", "id"] for r in rows)
    assert {r["id"]: r["tokens"] for r in rows} == {i: r["tokens"] for i, r in by_id.items()}
    assert result.manifest["columns"] == ["tokens", "id"]
    # internal columns are only left out by default: asked for, they are written
    with_vector = export(ws, columns=["id", "vector"], format="parquet", out=tmp_path / "vectors")
    table = pq.read_table(with_vector.path / "part-00000.parquet")
    assert table.column_names == ["id", "vector"] and table.schema.field("vector").type.list_size == 32


def test_an_empty_selection_writes_one_empty_file_and_says_so(ws, docs, tmp_path):
    by_id, _ = docs
    result = export(ws, where="tokens < 0", out=tmp_path / "none")
    assert (result.kept, result.removed) == (0, N_DOCS)
    assert result.manifest["files"] == [{"path": "part-00000.jsonl", "rows": 0, "bytes": 0}]
    assert result.manifest["removed"]["tokens"] == _tokens(by_id, by_id)


# ---- formats and shards -----------------------------------------------------


def test_shards_hold_at_most_shard_rows_in_storage_order(ws, tmp_path):
    whole = export(ws, out=tmp_path / "whole")
    result = export(ws, shard_rows=10, out=tmp_path / "sharded")
    files = result.manifest["files"]
    assert [f["path"] for f in files] == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [f["rows"] for f in files] == [10, 10, 5]
    for f in files:
        path = result.path / f["path"]
        assert f["bytes"] == path.stat().st_size
        assert f["rows"] == path.read_bytes().count(b"\n")
    assert _ids(_read(result.path, "jsonl")) == _ids(_read(whole.path, "jsonl"))
    assert result.manifest["shard_rows"] == 10


def test_an_exact_multiple_of_shard_rows_leaves_no_empty_file(ws, tmp_path):
    result = export(ws, shard_rows=5, format="parquet", out=tmp_path / "fives")
    assert [f["rows"] for f in result.manifest["files"]] == [5] * 5
    assert len(list(result.path.glob("part-*.parquet"))) == 5


def test_parquet_reads_back_equal_with_arrow_types(ws, docs, tmp_path):
    by_id, columns = docs
    result = export(ws, format="parquet", shard_rows=10, out=tmp_path / "pq")
    rows = _read(result.path, "parquet")
    assert {r["id"]: r for r in rows} == by_id and len(rows) == N_DOCS
    assert [f["rows"] for f in result.manifest["files"]] == [10, 10, 5]
    schema = pq.read_schema(result.path / "part-00000.parquet")
    docs_schema = ws.store.docs_schema()
    assert schema.names == columns
    assert all(schema.field(c).type == docs_schema.field(c).type for c in columns)


def test_hf_dataset_loads_back_equal(ws, docs, tmp_path):
    by_id, columns = docs
    result = export(ws, format="hf", out=tmp_path / "hf")
    rows = _read(result.path, "hf")
    assert {r["id"]: r for r in rows} == by_id and len(rows) == N_DOCS
    assert list(rows[0]) == columns
    assert [f["rows"] for f in result.manifest["files"]] == [N_DOCS]

    sharded = export(ws, format="hf", shard_rows=10, where="kind = 'even'", out=tmp_path / "hf-sharded")
    files = sharded.manifest["files"]
    assert len(files) == 2 and all(f["rows"] <= 10 for f in files) and sum(f["rows"] for f in files) == 13
    assert all((sharded.path / f["path"]).stat().st_size == f["bytes"] for f in files)
    assert sorted(_ids(_read(sharded.path, "hf"))) == sorted(i for i, r in by_id.items() if r["kind"] == "even")


@pytest.mark.parametrize("format", ["jsonl", "parquet", "hf"])
def test_include_removed_writes_the_exact_complement(ws, docs, tmp_path, format):
    by_id, _ = docs
    result = export(ws, where="kind = 'odd'", ids=[f"d{i:02d}" for i in range(12)], format=format,
                    include_removed=True, shard_rows=4, out=tmp_path / format)
    kept = _read(result.path, format)
    removed = _read(result.path / "removed", format)
    assert sorted(_ids(kept)) == ["d01", "d03", "d05", "d07", "d09", "d11"]
    assert set(_ids(kept)) | set(_ids(removed)) == set(by_id)
    assert not set(_ids(kept)) & set(_ids(removed)) and len(kept) + len(removed) == N_DOCS
    assert {r["id"]: r for r in removed} == {i: by_id[i] for i in _ids(removed)}
    manifest = result.manifest
    assert manifest["include_removed"] is True
    assert manifest["removed"] == {"documents": 19, "tokens": _tokens(by_id, _ids(removed))}
    assert manifest["kept"]["tokens"] + manifest["removed"]["tokens"] == _tokens(by_id, by_id)
    removed_files = [f for f in manifest["files"] if f["path"].startswith("removed/")]
    assert sum(f["rows"] for f in removed_files) == 19 and all(f["rows"] <= 4 for f in removed_files)
    assert sum(f["rows"] for f in manifest["files"]) == N_DOCS


def test_without_include_removed_nothing_else_is_written(ws, tmp_path):
    result = export(ws, where="kind = 'odd'", out=tmp_path / "odd")
    assert not (result.path / "removed").exists()
    assert result.manifest["include_removed"] is False
    assert all(not f["path"].startswith("removed/") for f in result.manifest["files"])


# ---- the manifest -----------------------------------------------------------


def test_the_manifest_records_what_where_and_how_much(indexed_workspace, tmp_path):
    ws = indexed_workspace(_rows()[:10])  # in tmp_path / "ws"
    ws.labels.add(["d01", "d02", "d04"], "quality", "good", author="tester")
    ws.labels.add(["d03", "d04"], "quality", "bad", author="tester")  # d04: good, then bad
    ws.labels.add("d03", "language", "en", author="tester")
    tokens = dict(zip(*(ws.docs(columns=["id", "tokens"]).column(c).to_pylist() for c in ("id", "tokens"))))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = export(ws, "labelled", ids=["d01", "d02", "d02", "d09"], where="tokens > 1", format="parquet",
                    shard_rows=100)
    manifest = result.manifest
    assert set(manifest) == {"manifest_version", "name", "created_at", "loupe_version", "format", "columns",
                             "predicate", "ids_given", "shard_rows", "files", "kept", "removed", "labels",
                             "workspace", "include_removed", "budget", "recipe", "recipe_hash", "recipe_problem",
                             "embeddings"}
    assert manifest["embeddings"] == "full"  # "preview" for a preview workspace (tests/integration/test_preview.py)
    assert manifest["budget"] is None and manifest["recipe"] == "recipe.yaml" and manifest["recipe_problem"] is None
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset().total_seconds() == 0 and before <= created <= datetime.now(timezone.utc)
    kept = ["d01", "d02", "d09"]
    assert all(tokens[i] > 1 for i in kept)
    from indexing.recipes import recipe_hash

    assert manifest | {"created_at": None, "columns": None} == {
        "manifest_version": 1, "name": "labelled", "created_at": None, "loupe_version": indexing.__version__,
        "format": "parquet", "columns": None, "predicate": "tokens > 1", "ids_given": 3, "shard_rows": 100,
        "files": [{"path": "part-00000.parquet", "rows": 3,
                   "bytes": (result.path / "part-00000.parquet").stat().st_size}],
        "kept": {"documents": 3, "tokens": sum(tokens[i] for i in kept)},
        "removed": {"documents": 7, "tokens": sum(t for i, t in tokens.items() if i not in kept)},
        "labels": {"quality": {"bad": 2, "good": 2}, "language": {"en": 1}},
        "workspace": {"path": str((tmp_path / "ws").resolve()), "lance_version": ws.store.version(),
                      "labels_version": ws.labels.version(), "model": "hash:32", "dimension": 32},
        "include_removed": False,
        "budget": None, "recipe": "recipe.yaml", "recipe_hash": recipe_hash(result.path / "recipe.yaml"),
        "recipe_problem": None, "embeddings": "full",
    }
    assert manifest["labels"] == ws.labels.counts()
    assert json.loads((result.path / "manifest.json").read_text(encoding="utf-8")) == manifest


def test_progress_reports_the_export_stage(ws, tmp_path):
    seen = []

    class Recorder:
        @contextmanager
        def stage(self, name, total=None, unit="docs"):
            seen.append([name, total, 0])
            yield lambda n=1: seen[-1].__setitem__(2, seen[-1][2] + n)

    export(ws, where="kind = 'odd'", out=tmp_path / "p", progress=Recorder())
    assert seen == [["export", N_DOCS, N_DOCS]]


# ---- names, targets and bad arguments ---------------------------------------


def test_default_names_are_utc_times_and_never_collide(indexed_workspace, tmp_path):
    ws = indexed_workspace(_rows()[:3])
    first, second = export(ws), export(ws)
    assert first.path.parent == second.path.parent == ws.root / "exports"
    assert re.fullmatch(r"export-\d{8}T\d{6}Z(-\d+)?", first.path.name)
    assert re.fullmatch(r"export-\d{8}T\d{6}Z(-\d+)?", second.path.name) and first.path != second.path
    assert first.manifest["name"] == first.path.name
    named_by_out = export(ws, out=tmp_path / "elsewhere" / "release-1")
    assert named_by_out.path == tmp_path / "elsewhere" / "release-1"
    assert named_by_out.manifest["name"] == "release-1"


def test_an_existing_target_raises_and_is_left_untouched(ws, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "mine.txt").write_text("curator's file")
    seen = []

    class Recorder:
        @contextmanager
        def stage(self, name, total=None, unit="docs"):
            seen.append(name)
            yield lambda n=1: None

    with pytest.raises(FileExistsError, match="taken"):
        export(ws, out=target, progress=Recorder())
    assert seen == []  # refused before reading or writing anything
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
    assert (target / "mine.txt").read_text() == "curator's file"

    first = export(ws, where="kind = 'odd'", out=tmp_path / "again")
    manifest = (first.path / "manifest.json").read_bytes()
    with pytest.raises(FileExistsError):
        export(ws, out=tmp_path / "again")
    assert (first.path / "manifest.json").read_bytes() == manifest
    assert len(_read(first.path, "jsonl")) == first.kept
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"format": "csv"}, r"unknown export format 'csv'.*jsonl, parquet, hf"),
    ({"columns": ["id", "nope", "txt"]}, r"unknown column\(s\) 'nope', 'txt'; available columns: id, text, "),
    ({"columns": []}, r"columns is empty"),
    ({"columns": ["id", "id"]}, r"given twice: id"),
    ({"columns": "text"}, r"list of names"),
    ({"where": "tokens >"}, r"selection 'tokens >'"),
    ({"where": "no_such_column = 1"}, r"selection 'no_such_column = 1'.*Available columns: id, text"),
    ({"shard_rows": 0}, r"shard_rows"),
    ({"shard_rows": 2.5}, r"shard_rows"),
    ({"ids": "d01"}, r"ids must be a list"),
])
def test_bad_arguments_raise_before_anything_is_written(ws, tmp_path, kwargs, message):
    parent = tmp_path / "exports"
    with pytest.raises(ValueError, match=message):
        export(ws, out=parent / "bad", **kwargs)
    assert not parent.exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_a_name_must_be_a_plain_folder_name(ws, name):
    before = sorted((ws.root / "exports").iterdir()) if (ws.root / "exports").exists() else []
    with pytest.raises(ValueError, match="plain folder name"):
        export(ws, name)
    after = sorted((ws.root / "exports").iterdir()) if (ws.root / "exports").exists() else []
    assert after == before and not (ws.root / "escape").exists()


# ---- atomicity --------------------------------------------------------------


def test_a_failure_while_writing_leaves_no_export_and_no_leftovers(ws, tmp_path, monkeypatch):
    original = export_formats._Shards._close_file
    closed = []

    def close_then_fail(self):
        original(self)
        closed.append(self.files[-1]["path"])
        raise OSError("disk full")

    monkeypatch.setattr(export_formats._Shards, "_close_file", close_then_fail)
    with pytest.raises(OSError, match="disk full"):
        export(ws, out=tmp_path / "broken", shard_rows=10)
    assert closed == ["part-00000.jsonl"]  # it did fail after the first shard was written
    assert not (tmp_path / "broken").exists() and _leftovers(tmp_path) == []

    monkeypatch.undo()
    result = export(ws, out=tmp_path / "broken", shard_rows=10)  # the name is free: nothing was left
    assert result.kept == N_DOCS


def test_a_failure_inside_save_to_disk_leaves_no_hf_export(ws, tmp_path, monkeypatch):
    import datasets

    original = datasets.Dataset.save_to_disk

    def save_then_fail(self, path, **kwargs):
        original(self, path, **kwargs)
        assert any(Path(path).glob("data-*.arrow"))
        raise RuntimeError("interrupted")

    monkeypatch.setattr(datasets.Dataset, "save_to_disk", save_then_fail)
    with pytest.raises(RuntimeError, match="interrupted"):
        export(ws, format="hf", out=tmp_path / "hf")
    assert not (tmp_path / "hf").exists() and _leftovers(tmp_path) == []


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from indexing import Workspace
    from indexing.exports import formats
    from indexing.exports.export import export
    original = formats._Shards._close_file
    def close_then_die(self):
        original(self)
        os.kill(os.getpid(), signal.SIGKILL)
    formats._Shards._close_file = close_then_die
    export(Workspace.open(sys.argv[1]), "killed", shard_rows=10)
    """
)


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.utime(Path(folder) / name, (past, past))
    os.utime(path, (past, past))


def test_a_kill_leaves_only_a_temporary_folder_which_a_later_export_clears(indexed_workspace):
    ws = indexed_workspace(_rows())
    exports = ws.root / "exports"
    done = subprocess.run([sys.executable, "-c", KILLER, str(ws.root)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    assert not (exports / "killed").exists()
    (left,) = _leftovers(exports)
    assert re.fullmatch(r"\.killed\.tmp-[0-9a-f]{16}", left.name)
    assert (left / "part-00000.jsonl").read_bytes().count(b"\n") == 10  # it died mid-export

    decoy = exports / ".notes.tmp-0123456789abcdef"  # looks alike, but is not Loupe's: never removed
    decoy.mkdir()
    (decoy / "keep.txt").write_text("mine")
    _age(decoy, 7200)
    export(ws, "young")  # the leftover may belong to a running export: kept while under an hour old
    assert left.exists()
    _age(left, 7200)
    export(ws, "later")
    assert not left.exists() and decoy.exists()
    assert sorted(p.name for p in exports.iterdir()) == [".notes.tmp-0123456789abcdef", "later", "young"]
    assert export(ws, "killed").kept == N_DOCS


# ---- values -----------------------------------------------------------------


def test_unicode_and_newlines_round_trip_through_jsonl(ws, tmp_path):
    result = export(ws, ids=["d03"], columns=["id", "text"], out=tmp_path / "unicode")
    data = (result.path / "part-00000.jsonl").read_bytes()
    assert data.count(b"\n") == 1 and data.endswith(b"\n")
    assert "日本語 🙂".encode("utf-8") in data  # written as UTF-8, not \\u escapes
    (row,) = _read(result.path, "jsonl")
    assert row == {"id": "d03", "text": UNICODE}


def test_timestamps_become_iso_strings_in_jsonl_and_stay_timestamps_in_parquet(tmp_path):
    stamps = [datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=timezone.utc),
              datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)]
    source = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["first text", "second text"],
                             "published": pa.array(stamps, pa.timestamp("us", tz="UTC")),
                             "score": [0.5, float("nan")]}), source)
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([source])
    assert pa.types.is_timestamp(ws.store.docs_schema().field("published").type)
    result = export(ws, columns=["id", "published", "score"], out=tmp_path / "json")
    rows = {r["id"]: r for r in _read(result.path, "jsonl")}
    assert datetime.fromisoformat(rows["a"]["published"]) == stamps[0]
    assert datetime.fromisoformat(rows["b"]["published"]) == stamps[1]
    assert rows["a"]["score"] == 0.5 and rows["b"]["score"] is None  # NaN is not JSON: null
    parquet = export(ws, columns=["id", "published"], format="parquet", out=tmp_path / "pq")
    table = pq.read_table(parquet.path / "part-00000.parquet")
    assert dict(zip(table.column("id").to_pylist(), table.column("published").to_pylist())) == dict(zip("ab", stamps))
