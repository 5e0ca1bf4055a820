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


def _map(ws: Workspace) -> dict[str, tuple]:
    table = ws.docs(columns=["id", "x", "y", "cluster", "placed"])
    return {row["id"]: (row["x"], row["y"], row["cluster"], row["placed"]) for row in table.to_pylist()}


def test_adding_a_source_keeps_old_vectors_and_map_and_places_the_new_rows(tmp_path, stdlib_rows):
    """issue 10, point 4: new documents land on the old map, from their nearest indexed
    neighbours (the real model), and every existing point keeps its x, y and cluster bit
    for bit; `loupe index --remap` fits the map and the clusters again over every row."""
    from typer.testing import CliRunner

    from app.cli import cli

    first = write_jsonl(tmp_path / "first.jsonl", stdlib_rows[:150])
    copy = {**stdlib_rows[3], "id": "copy-of-3"}  # the same text as a fitted document
    second = write_jsonl(tmp_path / "second.jsonl", stdlib_rows[150:249] + [copy])
    ws = Workspace.create(tmp_path / "ws", id_field="id")  # the real model
    ws.index([first])
    before = _vectors(ws, "_line > 0")
    fitted = _map(ws)
    fragments_before = ws.store.table("docs").to_lance().get_fragments()
    old_stages = {k: dict(v) for k, v in ws.state.stages.items()}

    report = ws.index([first, second])

    assert report.rows_stored == 100  # only the new source was embedded
    assert any("already indexed" in note for note in report.notes)
    assert any("100 new documents placed on the existing map" in note for note in report.notes)
    after = _vectors(ws, "_line > 0")
    assert len(after) == 250
    for doc_id, vector in before.items():
        assert np.array_equal(after[doc_id], vector)
    for stage in ("faiss", "project", "cluster"):
        assert ws.state.stages[stage]["rows"] == 250 != old_stages[stage]["rows"]
    assert ws.state.stages["project"]["placed"] == 100 and ws.state.stages["project"]["fitted"] == 150
    grown = _map(ws)
    assert all(grown[i] == (x, y, c, False) for i, (x, y, c, _) in fitted.items())  # bit for bit
    new = {i: v for i, v in grown.items() if i not in fitted}
    assert len(new) == 100 and all(v[3] is True and None not in v[:3] for v in new.values())
    assert grown["copy-of-3"][:3] == fitted[stdlib_rows[3]["id"]][:3]  # a copy lands on its original
    assert ws.vector_index().index.ntotal == 250
    assert len(fragments_before) >= 1
    # placed near what it is like: closer on the map to its nearest fitted neighbour (by
    # meaning) than fitted points are to one another, typically
    xy = {i: np.array(v[:2]) for i, v in grown.items()}
    fitted_xy = np.array([xy[i] for i in fitted])
    typical = np.median(np.linalg.norm(fitted_xy[:, None] - fitted_xy[None], axis=2))
    fitted_ids = list(before)
    similar = np.array([after[i] for i in new]) @ np.array([before[i] for i in fitted_ids]).T
    nearest = [fitted_ids[j] for j in np.argmax(similar, axis=1)]
    gaps = [np.linalg.norm(xy[doc_id] - xy[near]) for doc_id, near in zip(new, nearest)]
    assert np.median(gaps) < typical / 4, (np.median(gaps), typical)

    info = CliRunner().invoke(cli, ["info", "-w", str(ws.root)])
    assert info.exit_code == 0 and "100 documents placed from their neighbours, not fitted" in info.output
    result = CliRunner().invoke(cli, ["index", "-w", str(ws.root), "--remap", "-q"])
    assert result.exit_code == 0, result.output
    ws = Workspace.open(ws.root)
    remapped = _map(ws)
    assert all(v[3] is False for v in remapped.values()) and ws.info()["placed"] == 0 and ws.info()["ready"]
    assert ws.state.stages["project"]["fitted"] == 250 and ws.state.stages["cluster"]["fitted"] == 250
    assert any(remapped[i][:2] != v[:2] for i, v in fitted.items())  # a new map over all 250


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


def _grown(tmp_path, stdlib_rows):
    """A workspace with a trained classifier and a dedup run, and a second source to add."""
    from indexing import dedup
    from indexing.curate.classifiers import train

    rows = stdlib_rows[:60]
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "first.jsonl", rows[:40])])
    kinds = {r["id"]: r["kind"] for r in rows[:40]}
    ws.labels.add([i for i, k in kinds.items() if k == "function_source"][:5], "quality", "good")
    ws.labels.add([i for i, k in kinds.items() if k != "function_source"][:5], "quality", "bad")
    train(ws, "quality")
    dedup.dedup(ws, "exact")
    return ws, write_jsonl(tmp_path / "second.jsonl", rows[40:])


def _nulls(ws) -> dict[str, int]:
    docs = ws.docs(columns=["score_quality", "dup_keep"])
    return {c: docs.column(c).null_count for c in docs.column_names}


def test_an_error_in_the_refresh_leaves_it_pending_and_a_rerun_finishes_it(tmp_path, stdlib_rows, monkeypatch):
    """issue 8, defect 3: an error in the refresh after adding rows (rescoring the saved
    classifiers, re-running the last dedup) left `info` saying ready with null scores and
    dup_keep for the new rows, and re-running `index` repaired nothing. The refresh is a
    recorded stage that a re-run (no sources needed) completes."""
    from indexing import classifiers as classify

    ws, second = _grown(tmp_path, stdlib_rows)
    assert ws.info()["ready"] and "refresh" in ws.info()["stages_done"]

    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(classify, "rescore", broken)
    with pytest.raises(RuntimeError, match="injected"):
        ws.index([second])
    monkeypatch.undo()
    for workspace in (ws, Workspace.open(ws.root)):
        info = workspace.info()
        assert not info["ready"] and "refresh" not in info["stages_done"], info["stages_done"]
    assert _nulls(ws) == {"score_quality": 20, "dup_keep": 20}

    report = Workspace.open(ws.root).index()  # no sources: finish what is pending
    assert report.rows_stored == 0
    ws = Workspace.open(ws.root)
    assert ws.info()["ready"] and ws.state.stages["refresh"]["rows"] == 60 == ws.count()
    assert _nulls(ws) == {"score_quality": 0, "dup_keep": 0}
    assert ws.state.stages["dedup"]["rows"] == 60


def test_a_damaged_classifier_stops_the_refresh_with_a_clear_error(tmp_path, stdlib_rows):
    """issue 8, defect 3: a damaged classifier in the refresh was a traceback; it is one
    error naming the file and what to do, through the API and `loupe index`, and the stage
    stays pending until a re-run after the repair finishes it."""
    import numpy as np
    from typer.testing import CliRunner

    from app.cli import cli
    from indexing.errors import WorkspaceError

    ws, second = _grown(tmp_path, stdlib_rows)
    coef = ws.root / "classifiers" / "quality" / "coef.npy"
    np.save(coef, np.zeros(5))
    with pytest.raises(WorkspaceError) as info:
        ws.index([second])
    message = str(info.value)
    assert str(coef) in message and "loupe train" in message and f"loupe index -w {ws.root}" in message
    ws = Workspace.open(ws.root)
    assert not ws.info()["ready"]
    assert _nulls(ws) == {"score_quality": 20, "dup_keep": 0}  # the dedup still ran

    result = CliRunner().invoke(cli, ["index", "-w", str(ws.root), "-q"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "coef.npy" in result.stderr
    import shutil

    shutil.rmtree(coef.parent)  # what the message offers: delete the classifier
    result = CliRunner().invoke(cli, ["index", "-w", str(ws.root), "-q"])
    assert result.exit_code == 0, result.output
    assert Workspace.open(ws.root).info()["ready"]


def test_a_workspace_from_before_the_refresh_stage_opens_as_ready(tmp_path, stdlib_rows, monkeypatch):
    """issue 8, defect 3: workspace.json written before `refresh` was a stage has no entry
    for it; it counts as refreshed when every saved classifier's column and the last dedup
    cover every row, and as pending when they do not."""
    import json

    ws, second = _grown(tmp_path, stdlib_rows)
    path = ws.root / "workspace.json"

    def drop_refresh():
        state = json.loads(path.read_text())
        state["stages"].pop("refresh", None)
        path.write_text(json.dumps(state))

    drop_refresh()
    assert Workspace.open(ws.root).info()["ready"]
    from indexing import classifiers as classify

    def broken(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr(classify, "rescore", broken)
    with pytest.raises(RuntimeError, match="injected"):  # new rows without their scores
        Workspace.open(ws.root).index([second])
    monkeypatch.undo()
    assert "refresh" not in json.loads(path.read_text())["stages"]  # as an older Loupe would have left it
    assert not Workspace.open(ws.root).info()["ready"]
    Workspace.open(ws.root).index()
    assert Workspace.open(ws.root).info()["ready"]
