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
