"""The sidebar: what the map shows, search, and the filter as one predicate.

Drawn on every run, whichever tab is open: the search it asks for is run here once
(cached and shared by every session) and its hits go to the Map and Label tabs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import streamlit as st

from app import data, like
from app.active_filter import HAND, TEXT, Filter
from app.data import Corpus
from app.tabs.map import colour_options
from components.text import md
from indexing.errors import LoupeError


@dataclass(frozen=True)
class Sidebar:
    """What the sidebar's widgets ask for in this run."""

    colour_by: str
    query: str
    results: pa.Table | None  # the search hits (id, text, _score), or None without a query
    results_ids: list[str] = field(default_factory=list)


def show(info: dict, corpus: Corpus, scheme: dict[str, list[str]], active: Filter,
         path: str, version: int, labels_version: int) -> Sidebar:
    st.sidebar.title("Loupe")
    st.sidebar.caption(f"{info['docs']:,} documents · {md(info['model'])} · {info['clusters']} clusters")
    if info.get("preview_note"):  # the map and the search are a preview's: say so wherever they show
        st.sidebar.warning(md(info["preview_note"]))
    options = colour_options(corpus, list(scheme), topics=bool(info.get("topics")))
    colour_by = st.sidebar.selectbox("Colour by", options, key="colour_by")
    query = st.sidebar.text_input("Search", key="query", on_change=like.clear)  # a new search ends "more like"
    mode = st.sidebar.radio("Search by", ["meaning", "keyword"], horizontal=True, key="mode")
    within = st.sidebar.checkbox("Only within the filter", value=True, key="search_within")
    by_example = st.sidebar.container()  # "more like these" says here what the results are
    st.sidebar.subheader("Filter")
    _filter_summary(active)

    results = None
    if query:
        narrowed = within and active.active
        try:
            results = data.search(path, version, labels_version, mode, query, active.predicate if narrowed else None,
                                  _corpus=corpus, _keep=active.keep if narrowed else None)
        except LoupeError as error:  # the model did not load, the index is damaged: said, not a traceback
            st.sidebar.error(md(str(error)))
    results, query = like.replace(by_example, results, query, corpus, active, within, path, version, labels_version)
    return Sidebar(colour_by, query, results, results["id"].to_pylist() if results is not None else [])


def _filter_summary(active: Filter) -> None:
    """What the filter keeps, and the predicate box (editable once the toggle is on)."""
    cut = active.evaluation.summary
    st.sidebar.caption(f"kept {cut.kept_docs:,} documents ({cut.kept_tokens:,} tokens) · "
                       f"removed {cut.removed_docs:,} ({cut.removed_tokens:,} tokens)")
    st.sidebar.toggle("Edit the predicate as text", key=HAND,
                      help="Write any SQL over the columns and labels; the sliders rest meanwhile.")
    st.sidebar.text_area("Filter (SQL)", key=TEXT, disabled=not st.session_state.get(HAND),
                         placeholder="no filter: every document", height=100)
    if active.error:
        st.sidebar.error(md(active.error))
