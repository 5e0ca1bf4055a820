"""Small helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def indexed_template(tmp_path_factory, name: str, docs) -> Path:
    """One workspace indexed with the hash test embedder, built once per module;
    tests take copies (`workspace_copy`) so they may write labels freely."""
    from indexing import Workspace

    root = tmp_path_factory.mktemp(name)
    ws = Workspace.create(root / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(root / "docs.jsonl", docs)])
    return root / "ws"


def workspace_copy(template: Path, tmp_path: Path):
    import shutil

    from indexing import Workspace

    shutil.copytree(template, tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def open_tab(app, name: str):
    """Open one of the app's tabs in an AppTest, as a click on it does: only the open
    tab's body runs (app.session.PAGE holds which one)."""
    from app.session import PAGE

    app.session_state[PAGE] = name
    return app.run()


def open_group(app, title: str):
    """Open a column group of the Filters tab (an expander; a closed one draws no sliders)."""
    from app.tabs.filters import group_key

    app.session_state[group_key(title)] = True
    return app.run()
