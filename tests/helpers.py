"""Small helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# ---- indexed workspaces -------------------------------------------------------
# Indexing is the slow part of most tests, so a module indexes each corpus once (a
# template, see the `indexed_template` fixture) and every test writes into a copy of it
# (the `indexed_workspace` fixture). A template is never written: its exports, labels
# and columns would leak into the copies taken after.


@dataclass(frozen=True)
class Template:
    """An indexed workspace folder and the report of the `index` call that built it."""

    path: Path
    report: object  # indexing.IndexReport

    def copy(self, folder: Path, name: str = "ws"):
        """A Workspace of one's own: the template copied to `folder/name`."""
        from indexing import Workspace

        shutil.copytree(self.path, Path(folder) / name)
        return Workspace.open(Path(folder) / name)


def flat_map(vectors, **_):
    """A stand-in for UMAP: the first two coordinates. For tests where the 2-D map plays
    no part (search), as UMAP is most of a small index's time."""
    import numpy as np

    return np.asarray(vectors[:, :2], np.float32)


def build_template(folder: Path, rows, *, model: str | None = "hash:32", id_field: str | None = "id",
                   map: bool = True, **index_options) -> Template:
    """Index `rows` (written to `folder/docs.jsonl`) into `folder/ws`. `model=None` is the
    real bundled model (Workspace's default); `map=False` skips UMAP (`flat_map`); the
    other options go to `Workspace.index` (e.g. clusters=6)."""
    import pytest

    from indexing import Workspace

    create = {"id_field": id_field} | ({"model": model} if model is not None else {})
    workspace = Workspace.create(folder / "ws", **create)
    with pytest.MonkeyPatch.context() as patch:
        if not map:
            patch.setattr("indexing.workspace.pipeline.project", flat_map)
        report = workspace.index([write_jsonl(folder / "docs.jsonl", rows)], **index_options)
    return Template(folder / "ws", report)


def template_key(rows, options: dict) -> str:
    """The cache key of a template: its rows and its options."""
    text = json.dumps([rows, options], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---- the app under AppTest ----------------------------------------------------

APP = str(Path(__file__).parents[1] / "app" / "streamlit_app.py")


def run_app(monkeypatch, path, timeout: float = 60):
    """The app's first run on the workspace at `path`, under AppTest, as `loupe app` serves it."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LOUPE_WORKSPACE", str(path))
    return AppTest.from_file(APP, default_timeout=timeout).run()


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
