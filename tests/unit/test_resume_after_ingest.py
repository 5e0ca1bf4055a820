"""A run killed after its pass stored every new row, before recording the pass: the rerun
records it over the rows stored, and the workspace ends ready (found by tests/faults)."""

from __future__ import annotations

from indexing import Workspace
from indexing.ingest.report import IndexReport, IngestOptions
from indexing.progress import Quiet
from indexing.workspace import pipeline
from tests.helpers import write_jsonl


def test_rerun_records_a_pass_whose_rows_a_killed_run_stored(tmp_path):
    rows = [{"id": f"d{i}", "text": f"document {i} about subject {i % 5} in a few words"} for i in range(40)]
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:32")
    ws.index([write_jsonl(tmp_path / "a.jsonl", rows[:30])])
    more = write_jsonl(tmp_path / "b.jsonl", rows[30:])
    # what the killed run did: every new row stored, nothing recorded after
    pipeline.ingest_sources(ws, ws.embedder(), [str(more)], IngestOptions(id_field="id"), IndexReport(), Quiet())
    ws = Workspace.open(tmp_path / "ws")
    ws.index([more])
    assert ws.count() == 40 and ws.info()["ready"]
