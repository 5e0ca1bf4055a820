"""Damaged metadata and failing disks, as the CLI and the app meet them (issue 8, defects 11
and 14): one clear message naming the file and what to do, exit code 1, never a traceback;
nothing half-written, and the workspace still usable afterwards."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.cli import cli
from components.text import md
from tests.helpers import open_tab

pytestmark = pytest.mark.integration
APP = str(Path(__file__).parents[2] / "app" / "streamlit_app.py")
DOCS = [{"id": f"{'ab'[i % 2]}{i:02d}", "text": f"document {i} about {'cats' if i % 2 == 0 else 'dogs'}"}
        for i in range(30)]
ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def loupe(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def assert_clean_failure(result, *fragments: str) -> None:
    """Exit code 1, the fragments in the message on stderr, no traceback anywhere."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), result.exception
    message = " ".join(result.stderr.split())  # rich wraps long lines
    for fragment in fragments:
        assert " ".join(str(fragment).split()) in message, (fragment, result.stderr)


def _seed_and_train(ws) -> Path:
    from indexing.curate.classifiers import train

    ws.labels.add([d["id"] for d in DOCS if d["id"].startswith("a")][:5], "quality", "good")
    ws.labels.add([d["id"] for d in DOCS if d["id"].startswith("b")][:5], "quality", "bad")
    train(ws, "quality")
    return ws.root / "classifiers" / "quality" / "meta.json"


def _app(monkeypatch, ws) -> AppTest:
    monkeypatch.setenv("LOUPE_WORKSPACE", str(ws.root))
    return AppTest.from_file(APP, default_timeout=60).run()


# ---- defect 11: damaged metadata ----------------------------------------------------------


def test_cli_on_a_truncated_workspace_json(ws):
    """issue 8, defect 11: `loupe info` and `loupe label` on a truncated workspace.json
    ended in a JSONDecodeError traceback."""
    path = ws.root / "workspace.json"
    path.write_text(path.read_text()[:100])
    assert_clean_failure(loupe("info", "-w", ws.root), str(path), "damaged", "new workspace")
    assert_clean_failure(loupe("label", "-w", ws.root, "--name", "quality", "--value", "good", "--where", "true"),
                         str(path), "damaged")


@pytest.mark.parametrize("meta", [lambda m: {k: v for k, v in m.items() if k != "dimension"}, lambda m: [m]],
                         ids=["no-dimension", "list"])
def test_cli_train_on_a_damaged_classifier(ws, meta):
    """issue 8, defect 11: `loupe train` over a meta.json without `dimension` or holding a
    list ended in a KeyError/AttributeError traceback."""
    path = _seed_and_train(ws)
    path.write_text(json.dumps(meta(json.loads(path.read_text()))))
    assert_clean_failure(loupe("train", "-w", ws.root, "--name", "quality", "-q"), str(path), "damaged",
                         "loupe train", "delete the folder")


def test_app_shows_damaged_metadata_as_a_message(monkeypatch, ws):
    """issue 8, defect 11: in the app, a label_scheme.json holding a list and a damaged
    classifier were tracebacks; a damaged workspace.json is a message too."""
    scheme = ws.root / "label_scheme.json"
    scheme.write_text('["quality", "good"]')
    app = _app(monkeypatch, ws)
    assert not app.exception
    assert any(md(str(scheme)) in m.value for m in app.error)
    scheme.unlink()

    meta = _seed_and_train(ws)
    meta.write_text("[]")
    app = open_tab(_app(monkeypatch, ws), "Classify")  # the classifiers are listed there
    assert not app.exception
    assert any(md(str(meta)) in m.value for m in app.error), [m.value for m in app.error]

    state = ws.root / "workspace.json"
    state.write_text(state.read_text()[:50])
    app = _app(monkeypatch, ws)
    assert not app.exception
    assert md(str(state)) in app.info[0].value


# ---- defect 14: full disk, name too long -------------------------------------------------------


def test_export_with_a_name_too_long_is_a_clear_error(ws, tmp_path):
    """issue 8, defect 14: an --out whose last component is 300 characters ended in an
    OSError traceback (File name too long); nothing partial is left, and a later export works."""
    out = tmp_path / ("x" * 300)
    assert_clean_failure(loupe("export", "-w", ws.root, "--out", out), "File name too long", "shorter name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]
    good = loupe("export", "-w", ws.root, "--out", tmp_path / "kept")
    assert good.exit_code == 0, good.output
    assert (tmp_path / "kept" / "manifest.json").exists()


def test_export_and_label_on_a_full_disk_are_clear_errors(ws, tmp_path, monkeypatch):
    """issue 8, defect 14: `loupe export` and `loupe label` on a full disk ended in OSError
    tracebacks; each names the path and the OS reason, stores nothing, and the workspace
    works again once there is room."""
    import lancedb.table

    from indexing.exports import formats as export_formats

    def full(*args, **kwargs):
        raise ENOSPC

    out = tmp_path / "kept"
    monkeypatch.setattr(export_formats._JsonlFile, "write", full)
    assert_clean_failure(loupe("export", "-w", ws.root, "--out", out), str(out), "No space left on device")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ws"]  # no partial export

    monkeypatch.setattr(lancedb.table.LanceTable, "add", full)
    assert_clean_failure(loupe("label", "-w", ws.root, "--name", "quality", "--value", "good", "--where", "true"),
                         str(ws.root), "No space left on device")
    monkeypatch.undo()
    assert ws.labels.counts() == {}  # nothing stored

    assert loupe("label", "-w", ws.root, "--name", "quality", "--value", "good", "--where", "true").exit_code == 0
    assert ws.labels.counts() == {"quality": {"good": len(DOCS)}}
    assert loupe("export", "-w", ws.root, "--out", out).exit_code == 0


def test_app_label_click_and_export_on_a_full_disk_show_a_message(monkeypatch, ws):
    """issue 8, defect 14: a label click or an export in the app on a full disk showed a
    traceback; each shows the reason, and the next click works."""
    import lancedb.table

    from indexing.exports import formats as export_formats

    def full(*args, **kwargs):
        raise ENOSPC

    app = _app(monkeypatch, ws)
    app.text_input(key="open_id").input("a00").run()
    with monkeypatch.context() as patch:
        patch.setattr(lancedb.table.LanceTable, "add", full)
        app.button(key="reader_a00_quality_bad").click().run()
        assert not app.exception
        assert any("No space left on device" in m.value for m in app.error), [m.value for m in app.error]
        assert ws.labels.counts() == {}
        open_tab(app, "Export")
        app.text_input(key="export_name").input("subset")
        patch.setattr(export_formats._JsonlFile, "write", full)
        [b for b in app.button if b.label == "Export"][0].click().run()
        assert not app.exception
        assert any("No space left on device" in m.value for m in app.error), [m.value for m in app.error]
    assert not (ws.root / "exports" / "subset").exists()
    open_tab(app, "Map")
    app.button(key="reader_a00_quality_bad").click().run()
    assert ws.labels.counts() == {"quality": {"bad": 1}}
