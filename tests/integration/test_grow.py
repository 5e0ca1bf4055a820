"""New sources on an existing workspace are added without re-embedding the old rows."""

from __future__ import annotations

import numpy as np
import pytest

from indexing import Workspace
from tests.helpers import write_jsonl

pytestmark = pytest.mark.integration


def _vectors(ws: Workspace, where: str) -> dict[str, np.ndarray]:
    table = ws.docs(where=where, columns=["id", "vector"])
    return dict(zip(table.column("id").to_pylist(), table.column("vector").to_numpy(zero_copy_only=False)))


def test_adding_a_source_keeps_old_vectors_and_refreshes_map(tmp_path, stdlib_rows):
    first = write_jsonl(tmp_path / "first.jsonl", stdlib_rows[:150])
    second = write_jsonl(tmp_path / "second.jsonl", stdlib_rows[150:250])
    ws = Workspace.create(tmp_path / "ws", id_field="id")  # the real model
    ws.index([first])
    before = _vectors(ws, "_line > 0")
    fragments_before = ws.store.table("docs").to_lance().get_fragments()
    old_stages = {k: dict(v) for k, v in ws.state.stages.items()}

    report = ws.index([first, second])

    assert report.rows_stored == 100  # only the new source was embedded
    assert any("already indexed" in note for note in report.notes)
    after = _vectors(ws, "_line > 0")
    assert len(after) == 250
    for doc_id, vector in before.items():
        assert np.array_equal(after[doc_id], vector)
    for stage in ("faiss", "project", "cluster"):
        assert ws.state.stages[stage]["rows"] == 250 != old_stages[stage]["rows"]
    docs = ws.docs(columns=["x", "cluster"])
    assert docs.column("x").null_count == 0 and docs.column("cluster").null_count == 0
    assert ws.vector_index().index.ntotal == 250
    assert len(fragments_before) >= 1


def test_a_source_that_grew_is_read_from_where_it_stopped(tmp_path, stdlib_rows):
    corpus = write_jsonl(tmp_path / "c.jsonl", stdlib_rows[:40])
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([corpus])
    with corpus.open("a") as handle:
        write_jsonl(tmp_path / "tail.jsonl", stdlib_rows[40:60])
        handle.write((tmp_path / "tail.jsonl").read_text())
    report = ws.index([corpus])
    assert report.rows_read == 20 and report.rows_stored == 20
    assert ws.count() == 60
    assert any("changed" in note for note in report.notes)
