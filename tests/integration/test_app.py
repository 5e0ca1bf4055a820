"""The app's logic through Streamlit's AppTest (browser tests come with the app issue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indexing import Workspace
from tests.helpers import write_jsonl

APP = str(Path(__file__).parents[2] / "app" / "streamlit_app.py")
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, stdlib_rows):
    root = tmp_path_factory.mktemp("app")
    rows = stdlib_rows[:80] + [{"id": "evil", "text": EVIL, "kind": "x", "module": "x"}]
    ws = Workspace.create(root / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(root / "c.jsonl", rows)])
    return ws


def _run(monkeypatch, path) -> AppTest:
    monkeypatch.setenv("LOUPE_WORKSPACE", str(path))
    app = AppTest.from_file(APP, default_timeout=60)
    return app.run()


def test_missing_workspace_gets_a_page_not_a_traceback(monkeypatch, tmp_path):
    app = _run(monkeypatch, tmp_path / "nowhere")
    assert not app.exception
    assert "No Loupe workspace" in app.info[0].value


def test_map_page_renders_and_search_lists_results(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    assert not app.exception
    assert "81 documents" in app.sidebar.caption[0].value
    app.sidebar.text_input(key="query").input("parse a json document").run()
    assert not app.exception
    assert app.subheader[0].value.startswith("20 results")


def test_reader_shows_markup_as_literal_text(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.sidebar.radio(key="mode").set_value("keyword").run()
    app.sidebar.text_input(key="query").input("script alert").run()
    app.selectbox(key="reader_id").set_value("evil").run()
    assert not app.exception
    assert app.code[0].value == EVIL
    assert not [m for m in app.markdown if "<script>" in m.value]


def test_moving_a_threshold_changes_the_counts_and_the_predicate(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    assert "kept 81 documents" in app.sidebar.caption[1].value
    slider = app.sidebar.slider(key="rule_tokens")
    low, high = slider.value
    cut = (low + high) // 4
    slider.set_value((low, cut)).run()
    assert not app.exception
    expected = workspace.count(f"tokens <= {cut}")
    assert f"kept {expected} documents" in app.sidebar.caption[1].value
    assert f"removed {81 - expected} " in app.sidebar.caption[1].value
    assert f"tokens <= {cut}" in app.sidebar.code[0].value
    assert f"{expected:,} of 81 documents drawn" in app.caption[0].value
