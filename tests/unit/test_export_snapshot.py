"""An export reads the labels at ONE version: the rows it selects by label and the label
counts its manifest records come from the same snapshot (issue 8, section 2.3)."""

from __future__ import annotations

import pytest

from indexing import Workspace
from indexing.curate import selection
from indexing.exports.export import export
from tests.helpers import write_jsonl


@pytest.fixture()
def ws(tmp_path):
    rows = [{"id": f"d{i:02d}", "text": f"document {i} " + "word " * i} for i in range(20)]
    workspace = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    workspace.index([write_jsonl(tmp_path / "corpus.jsonl", rows)])
    workspace.labels.add([f"d{i:02d}" for i in range(5)], "quality", "good")
    return workspace


def test_a_label_written_during_an_export_is_in_neither_its_rows_nor_its_manifest(ws, monkeypatch):
    """issue 8, section 2.3: export called select_ids (reading the labels) and later
    labels.counts() (reading them again), so a label written in between made the
    manifest's label snapshot disagree with the exported rows."""
    original = selection.select_ids

    def select_then_label(workspace, where=None, ids=None):
        chosen = original(workspace, where, ids)
        Workspace.open(ws.root).labels.add(["d10", "d11"], "quality", "good")  # another session's click
        return chosen

    monkeypatch.setattr(selection, "select_ids", select_then_label)
    result = export(ws, "good", where="quality = 'good'")
    assert result.kept == 5
    assert result.manifest["labels"] == {"quality": {"good": result.kept}}
    labels_version = result.manifest["workspace"]["labels_version"]
    assert labels_version < ws.labels.version()  # the snapshot predates the label written meanwhile
    assert ws.labels.counts() == {"quality": {"good": 7}}  # and that label was stored
