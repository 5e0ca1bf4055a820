"""Unit tests for indexing.workspace.manifest: workspace.json round trip, atomic writes, versions, stage_done."""

from __future__ import annotations

import json
import os

import pytest

from indexing.workspace.manifest import SCHEMA_VERSION, STATE_FILE, SourceState, WorkspaceState, atomic_write_text


def sample_state() -> WorkspaceState:
    return WorkspaceState(
        loupe_version="0.1.0",
        model="hash:64",
        dimension=64,
        max_tokens=512,
        text_field="body",
        id_field="uid",
        sources={
            "src-a": SourceState(
                path="/data/a.jsonl", kind="jsonl", id_prefix="a",
                fingerprint={"size": 10, "mtime": 1.5}, complete=True, records=3, stored=2, rejected=1,
            ),
            "src-b": SourceState(path="/data/b.csv", kind="csv", id_prefix="b", fingerprint={}),
        },
        stages={"ingest": {"rows": 2, "seconds": 0.25, "at": "2024-01-01T00:00:00"}},
    )


def test_defaults():
    s = WorkspaceState()
    assert s.schema_version == SCHEMA_VERSION == 1
    assert (s.model, s.dimension, s.text_field, s.id_field) == ("", 0, "text", None)
    assert s.sources == {} and s.stages == {}
    assert WorkspaceState().stages is not s.stages  # no shared mutable default


def test_save_load_round_trip(tmp_path):
    original = sample_state()
    original.save(tmp_path)
    loaded = WorkspaceState.load(tmp_path)
    assert loaded == original
    assert isinstance(loaded.sources["src-a"], SourceState)
    assert loaded.sources["src-b"].complete is False
    assert loaded.sources["src-a"].fingerprint == {"size": 10, "mtime": 1.5}


def test_saved_file_is_readable_json(tmp_path):
    sample_state().save(tmp_path)
    text = (tmp_path / STATE_FILE).read_text(encoding="utf-8")
    assert text.endswith("}\n")
    raw = json.loads(text)
    assert raw["schema_version"] == 1
    assert raw["sources"]["src-a"]["records"] == 3
    assert raw["stages"]["ingest"]["rows"] == 2


def test_save_overwrites_and_leaves_no_temp_file(tmp_path):
    s = sample_state()
    s.save(tmp_path)
    s.model = "other"
    s.save(tmp_path)
    assert os.listdir(tmp_path) == [STATE_FILE]
    assert WorkspaceState.load(tmp_path).model == "other"


def test_atomic_write_text_replaces_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second é")
    assert target.read_text(encoding="utf-8") == "second é"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_atomic_write_text_failure_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


@pytest.mark.parametrize("version", [0, 2, None, "1"])
def test_unsupported_schema_version_raises_with_file_name(tmp_path, version):
    raw = {"model": "m"} if version is None else {"schema_version": version, "model": "m"}
    (tmp_path / STATE_FILE).write_text(json.dumps(raw))
    with pytest.raises(ValueError) as info:
        WorkspaceState.load(tmp_path)
    message = str(info.value)
    assert message == (
        f"{tmp_path / STATE_FILE}: schema version {version} is not supported "
        f"(this Loupe reads version 1)"
    )


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        WorkspaceState.load(tmp_path)


def test_stage_done():
    s = WorkspaceState(stages={"embed": {"rows": 10, "seconds": 1.0}, "broken": {}})
    assert s.stage_done("embed", 10) is True
    assert s.stage_done("embed", 11) is False
    assert s.stage_done("embed", 0) is False
    assert s.stage_done("project", 10) is False
    assert s.stage_done("broken", 0) is False


def test_stage_done_survives_round_trip(tmp_path):
    s = WorkspaceState(stages={"cluster": {"rows": 0}})
    assert s.stage_done("cluster", 0) is True
    s.save(tmp_path)
    loaded = WorkspaceState.load(tmp_path)
    assert loaded.stage_done("cluster", 0) is True
    assert loaded.stage_done("cluster", 1) is False


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # truncated by a full disk or a copy cut short
    lambda text: "",
    lambda text: "[1, 2]",  # valid JSON, not an object
    lambda text: text.replace('"stages": {', '"stages": {"ingest": 3, "x": {', 1),
    lambda text: text.replace('"model"', '"modell"', 1),  # an unknown key
], ids=["truncated", "empty", "list", "stage-not-object", "unknown-key"])
def test_damaged_workspace_json_is_a_workspace_error_naming_the_file(tmp_path, damage):
    """issue 8, defect 11: a truncated or foreign workspace.json gave a JSONDecodeError
    (or TypeError) traceback; it is one WorkspaceError naming the file and what to do."""
    from indexing import Workspace
    from indexing.errors import WorkspaceError

    sample_state().save(tmp_path)
    path = tmp_path / STATE_FILE
    path.write_text(damage(path.read_text()))
    for load in (WorkspaceState.load, Workspace.open):
        with pytest.raises(WorkspaceError) as info:
            load(tmp_path)
        assert str(path) in str(info.value) and "new workspace" in str(info.value)
