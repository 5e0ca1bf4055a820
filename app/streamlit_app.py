"""The Loupe app: look, search, select, label, threshold and export a corpus.

Started by `loupe app -w WS`, which passes the workspace in LOUPE_WORKSPACE. This
file only wires: it reads the workspace (app.data), computes the filter once
(app.active_filter), draws the sidebar (app.sidebar), then the open tab only
(app.tabs: one module per tab, each drawn by `show(ctx)`). A closed tab costs
nothing: on a million rows the map and the histograms are most of a rerun.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import data, session, sidebar
from app.active_filter import current_filter
from app.messages import show_message
from app.tabs import PAGES, Context, budget, classify, duplicates, export, filters, label
from app.tabs import map as map_tab
from components.text import md
from indexing.errors import WorkspaceError
from indexing.errors import LabelError
from indexing.workspace.lock import is_busy
from indexing.workspace.manifest import STATE_FILE

st.set_page_config(page_title="Loupe", layout="wide")
TABS = {"Map": map_tab.show, "Filters": filters.show, "Label": label.show, "Classify": classify.show,
        "Duplicates": duplicates.show, "Budget": budget.show, "Export": export.show}


def _stop(message: str, kind: str = "info") -> None:
    """The page is this message only (it names paths: shown as text)."""
    st.title("Loupe")
    getattr(st, kind)(md(message))
    st.stop()


path = os.environ.get("LOUPE_WORKSPACE", "")
if not path or not (Path(path) / "workspace.json").exists():
    _stop(f"No Loupe workspace at {path or '(none given)'}. Create one with: loupe index SOURCE -w {path or 'WS'}")
if is_busy(Path(path)):
    _stop(f"{path} is being written (by loupe index, or a dedup or training run). This page will be "
          "ready when that finishes; reload then.")
try:
    workspace = data.open_workspace(path)
except WorkspaceError as error:
    _stop(str(error))
info = data.info(path, (Path(path) / STATE_FILE).stat().st_mtime_ns, workspace.store.version())
if not info["ready"]:
    _stop(f"{path} is not fully indexed yet (done: {', '.join(info['stages_done']) or 'nothing'}). "
          f"Run loupe index -w {path} to finish the pending stages.")

version = info["lance_version"]
labels_version = workspace.labels.version()
corpus = data.corpus(path, version)
try:
    scheme = data.label_scheme(path, labels_version)
except LabelError as error:  # a damaged label_scheme.json: the message says which and what to do
    _stop(str(error), "error")
labels = {name: data.label_codes(path, version, labels_version, name, tuple(values))
          for name, values in scheme.items()}
active = current_filter(corpus, path, version, labels_version, labels)
side = sidebar.show(info, corpus, scheme, active, path, version, labels_version)
ctx = Context(path, version, labels_version, workspace, corpus, scheme, labels, active,
              side.colour_by, side.query, side.results, side.results_ids)
ctx.chosen, ctx.selected = ctx.selection()

# ---- tabs: only the open one runs --------------------------------------------------
show_message()
for title, page in zip(PAGES, st.tabs(PAGES, key=session.PAGE, on_change="rerun")):
    if page.open:
        with page:
            TABS[title](ctx)
    elif title == "Map":
        map_tab.closed()  # the map's last event is dropped with the chart: forget it too
