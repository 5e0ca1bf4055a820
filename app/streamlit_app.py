"""The Loupe app: look, search, select, label, threshold and export a corpus.

Started by `loupe app -w WS`, which passes the workspace in LOUPE_WORKSPACE. This
file wires the panels (app/*) to the engine (indexing) and the figures
(components); every run reads the widgets, computes the filter once, then draws
the sidebar and the open tab only (a closed tab costs nothing: on a million rows
the map and the histograms are most of a rerun).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import data, state
from app.budget_panel import budget_tab
from app.classify_panel import classify_tab
from app.dedup_panel import dedup_tab
from app.export_panel import export_tab
from app.filter_panel import current_filter, filter_tab, sidebar_summary
from app.label_panel import label_tab, show_message
from app.map_view import clusters_panel, colour_options, map_closed, map_panel
from app.reader import reader_panel, results_panel
from components.text import md
from indexing import WorkspaceError
from indexing.labels import LabelError
from indexing.lock import is_busy
from indexing.state import STATE_FILE

st.set_page_config(page_title="Loupe", layout="wide")
PAGES = ("Map", "Filters", "Label", "Classify", "Duplicates", "Budget", "Export")


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


def kept_ids() -> list[str]:
    """The ids the filter keeps (every id without a filter), for those who need them."""
    return corpus.ids_where(active.keep) if active.active else corpus.ids


# ---- sidebar: what the map shows, search, the filter as one predicate ---------
st.sidebar.title("Loupe")
st.sidebar.caption(f"{info['docs']:,} documents · {md(info['model'])} · {info['clusters']} clusters")
colour_by = st.sidebar.selectbox("Colour by", colour_options(corpus, list(scheme)), key="colour_by")
query = st.sidebar.text_input("Search", key="query")
mode = st.sidebar.radio("Search by", ["meaning", "keyword"], horizontal=True, key="mode")
within = st.sidebar.checkbox("Only within the filter", value=True, key="search_within")
st.sidebar.subheader("Filter")
sidebar_summary(active)

results = None
if query:
    narrowed = within and active.active
    results = data.search(path, version, labels_version, mode, query, active.predicate if narrowed else None,
                          _corpus=corpus, _keep=active.keep if narrowed else None)
results_ids = results["id"].to_pylist() if results is not None else []


def selection() -> tuple[state.Selection | None, list[str]]:
    """The selection and the ids it holds now (a cluster: its members the filter keeps)."""
    chosen = state.selection()
    return chosen, chosen.resolve(corpus.ids, corpus.clusters, active.keep) if chosen else []


chosen, selected = selection()

# ---- pages: only the open tab runs ------------------------------------------------
show_message()
pages = dict(zip(PAGES, st.tabs(PAGES, key=state.PAGE, on_change="rerun")))
if pages["Map"].open:
    with pages["Map"]:
        left, right = st.columns([3, 2])
        with left:
            map_panel(corpus, active, colour_by, labels, data.snippets(path, version), results_ids)
            chosen, selected = selection()  # a box drawn on the map has just become the selection
            if chosen:
                st.caption(f"Selection: {md(chosen.what)} · {len(selected):,} documents")
                st.button("Clear selection", key="clear_selection", on_click=state.clear_selection)
            clusters_panel(data.clusters_table(path, version), corpus)
        with right:
            results_panel(results, query)
            reader_panel(workspace, corpus, scheme, selected or results_ids)
else:
    map_closed()
if pages["Filters"].open:
    with pages["Filters"]:
        filter_tab(corpus, active, workspace, labels)
if pages["Label"].open:
    with pages["Label"]:
        label_tab(workspace, scheme, selected, chosen.what if chosen else None, results_ids, selected or kept_ids())
if pages["Classify"].open:
    with pages["Classify"]:
        classify_tab(workspace, scheme)
if pages["Duplicates"].open:
    with pages["Duplicates"]:
        dedup_tab(workspace, [c for c in corpus.values_of if c.startswith("score_")])
if pages["Budget"].open:
    with pages["Budget"]:
        budget_tab(workspace, corpus, active.predicate, active.evaluation.summary.kept_tokens)
if pages["Export"].open:
    with pages["Export"]:
        export_tab(workspace, corpus, active, selected, chosen.what if chosen else None)
