"""The model loads while the sources are read (issue 11, point 5): a slow load overlaps the
reading of the first chunk, its errors surface at first use, and the workspace's check runs
once, before anything is stored."""

from __future__ import annotations

import threading
import time

import pytest

from indexing import Workspace
from indexing.errors import WorkspaceError
from indexing.ingest.sources import jsonl
from indexing.vectors.embedder import HashEmbedder
from indexing.vectors.loading import BackgroundModel
from tests.helpers import write_jsonl


def test_attribute_access_waits_for_the_load_and_checks_once():
    checks = []
    model = BackgroundModel(lambda: (time.sleep(0.2), HashEmbedder(16))[1], checks.append)
    assert model.dimension == 16
    assert model.count_tokens(["two words"]) == [2]
    assert len(checks) == 1 and model.seconds >= 0.2


def test_a_failed_load_is_raised_where_the_model_is_first_used():
    def load():
        raise WorkspaceError("no such model")

    model = BackgroundModel(load)
    with pytest.raises(WorkspaceError, match="no such model"):
        model.encode(["x"])


def test_reading_starts_before_the_model_has_loaded(tmp_path, monkeypatch):
    rows = [{"id": f"d{i}", "text": f"document {i} on topic {i % 3}"} for i in range(50)]
    source = write_jsonl(tmp_path / "a.jsonl", rows)
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:32")
    loaded = threading.Event()
    read_before_load = []

    real_embedder = ws.embedder

    def slow_embedder(*args, **kwargs):
        time.sleep(0.5)
        loaded.set()
        return real_embedder(*args, **kwargs)

    real_records = jsonl.JsonlSource.records

    def records(self, start=0):
        read_before_load.append(not loaded.is_set())
        yield from real_records(self, start)

    monkeypatch.setattr(ws, "embedder", slow_embedder)
    monkeypatch.setattr(jsonl.JsonlSource, "records", records)
    report = ws.index([source])
    assert read_before_load == [True]
    assert ws.count() == 50 and ws.info()["ready"]
    assert report.seconds["load model"] >= 0.5


def test_a_model_of_another_dimension_is_refused_before_any_row_is_stored(tmp_path, monkeypatch):
    rows = [{"id": f"d{i}", "text": f"document {i}"} for i in range(10)]
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:32")
    ws.index([write_jsonl(tmp_path / "a.jsonl", rows)])
    ws = Workspace.open(tmp_path / "ws")
    monkeypatch.setattr(ws, "embedder", lambda *a, **k: HashEmbedder(16))
    with pytest.raises(WorkspaceError, match="32-d vectors"):
        ws.index([write_jsonl(tmp_path / "b.jsonl", [{"id": "new", "text": "another document"}])])
    assert Workspace.open(tmp_path / "ws").count() == 10
