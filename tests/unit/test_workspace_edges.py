"""Edges of the workspace's storage that a kill or an unknown id reaches."""

from __future__ import annotations

import shutil

from indexing import Workspace
from tests.helpers import write_jsonl

DOCS = [{"id": f"d{i}", "text": f"document number {i} about topic {i % 3}"} for i in range(12)]


def test_by_ids_of_unknown_ids_only_is_an_empty_table(tmp_path):
    """Opening an unknown id in the reader raised ArrowNotImplementedError (take of an empty list)."""
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "docs.jsonl", DOCS)])
    assert ws.by_ids(["nope", "also-nope"]).num_rows == 0
    assert ws.by_ids(["nope", "d3", "d1"])["id"].to_pylist() == ["d3", "d1"]


def test_a_first_write_killed_midway_leaves_a_workspace_that_indexes(tmp_path):
    """A kill during the first write of `docs` left `lance/docs.lance/data/.tmp...` without
    `_versions`: LanceDB listed the table but could not open it, so `info` and every re-run
    of `loupe index` ended in "Table 'docs' was not found" (found by benchmarks/faults.py)."""
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    leftover = tmp_path / "ws" / "lance" / "docs.lance" / "data" / ".tmp-killed"
    leftover.mkdir(parents=True)
    (leftover / "part").write_bytes(b"\0" * 64)
    ws = Workspace.open(tmp_path / "ws")
    assert ws.info()["docs"] == 0
    ws.index([write_jsonl(tmp_path / "docs.jsonl", DOCS)])
    assert Workspace.open(tmp_path / "ws").count() == len(DOCS)
    shutil.rmtree(tmp_path / "ws")


def test_rows_are_taken_by_position_at_the_version_the_positions_came_from(tmp_path):
    """The app reads texts by row position (a take) instead of matching ids (a scan of every
    id); positions refer to docs as the app read it, even after rows were added since."""
    ws = Workspace.create(tmp_path / "ws", model="hash:16", id_field="id")
    ws.index([write_jsonl(tmp_path / "a.jsonl", [{"id": f"a{i}", "text": f"first {i}"} for i in range(5)])])
    version = ws.store.version()
    order = ws.docs(columns=["id"])["id"].to_pylist()
    ws.index([write_jsonl(tmp_path / "b.jsonl", [{"id": f"b{i}", "text": f"second {i}"} for i in range(3)])])
    assert ws.store.version() > version
    taken = ws.store.take_docs([4, 0, 2], ["id", "text"], version)
    assert taken["id"].to_pylist() == [order[4], order[0], order[2]]
    assert taken["text"].to_pylist() == [f"first {order[p][1:]}" for p in (4, 0, 2)]
    assert ws.store.take_docs([7], ["id"], ws.store.version())["id"].to_pylist()[0].startswith("b")


def test_a_search_for_ids_only_reads_no_rows(tmp_path, monkeypatch):
    ws = Workspace.create(tmp_path / "ws", model="hash:16", id_field="id")
    ws.index([write_jsonl(tmp_path / "a.jsonl", [{"id": f"a{i}", "text": f"word{i} text"} for i in range(6)])])
    full = ws.search("word3 text", k=3, columns=["id", "text"])
    monkeypatch.setattr(ws, "by_ids", lambda *a, **k: (_ for _ in ()).throw(AssertionError("rows were read")))
    ids_only = ws.search("word3 text", k=3, columns=["id"])
    assert ids_only.column_names == ["id", "_score"]
    assert ids_only["id"].to_pylist() == full["id"].to_pylist() and ids_only["_score"] == full["_score"]
