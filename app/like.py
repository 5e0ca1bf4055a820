"""Search by example in the app: "More like these", "Least like these", "Outliers of these".

Wherever documents are chosen (a box or cluster on the map, the search results, the
documents with a label value), these buttons ask the engine (`Workspace.more_like`,
`least_like`) about them. The request is kept in session state, and its hits stand in for
the search's in the sidebar's results, so they show in the Map tab, ring their points on
the map and are a bulk-label target in the Label tab, like any search's. Typing a new
search, or "Back to the search", drops the request. Results respect the sidebar's "Only
within the filter", as a search does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import streamlit as st

from app import data, session
from app.data import SEARCH_HITS, Corpus
from components.text import md
from indexing.errors import LoupeError

REQUEST = "like_request"
MAP_WORDS = "the map selection"  # a box on the map, once asked about
KINDS = {"more": "More like these", "least": "Least like these", "outliers": "Outliers of these"}
HELP = {
    "more": "The documents nearest the centroid of these (by meaning), these left out: find the rest of a kind.",
    "least": "The documents farthest from the centroid of these, within the filter: what these seeds miss.",
    "outliers": "These documents themselves, farthest from their own centroid first: the strays of a set.",
}


@dataclass(frozen=True)
class Request:
    kind: str  # a key of KINDS
    examples: tuple[str, ...]
    what: str  # the examples in the curator's words: "cluster 3", "quality = bad"

    @property
    def title(self) -> str:
        """What the results are, for their heading: "more like cluster 3 (12 documents)"."""
        count = f"{len(self.examples):,} document{'s' if len(self.examples) != 1 else ''}"
        return f"{KINDS[self.kind].replace(' these', '').lower()} {self.what} ({count})"


def ask(kind: str, examples, what: str) -> None:
    """Ask about `examples` (a widget callback). A box on the map asked about is named "the
    map selection" in the selection and the results' title ("more like the map selection"
    reads as what it is). Its keeping no longer depends on the name: the map keeps a
    selection across the redraw that the results' rings cause (app/tabs/map.py)."""
    chosen = session.selection()
    if chosen is not None and chosen.what == "map" and chosen.ids == tuple(examples):
        session.select(MAP_WORDS, examples)
        what = MAP_WORDS
    st.session_state[REQUEST] = Request(kind, tuple(examples), what)


def clear() -> None:
    st.session_state.pop(REQUEST, None)


def request() -> Request | None:
    return st.session_state.get(REQUEST)


def buttons(examples: list[str], what: str, key: str) -> None:
    """The three buttons for `examples` (described as `what`), side by side."""
    for cell, (kind, label) in zip(st.columns(len(KINDS)), KINDS.items()):
        cell.button(label, key=f"{key}_like_{kind}", on_click=ask, args=(kind, examples, what),
                    help=HELP[kind], disabled=not examples, use_container_width=True)


@st.cache_resource(show_spinner="Searching by example…", max_entries=64)
def hits(path: str, version: int, labels_version: int, kind: str, examples: tuple[str, ...],
         predicate: str | None, _corpus: Corpus, _keep: np.ndarray | None) -> pa.Table:
    """The top 20 (id, text, _score) of one request; with a predicate, among the documents its
    mask `_keep` keeps. Kept and shared like a search (the versions and the predicate name
    the mask): "least like" reads every vector once, so it is not read again on a rerun."""
    workspace = data.open_workspace(path)
    if kind == "more":
        def find(_query, k, columns, ids=None):
            return workspace.more_like(list(examples), k=k, columns=columns, ids=ids)

        found = find(None, SEARCH_HITS, ["id"]) if predicate is None \
            else data.search_within(find, None, _corpus, _keep)  # the search's fast path
    else:
        ids = None if predicate is None else _corpus.ids_where(_keep)
        found = workspace.least_like(list(examples), k=SEARCH_HITS, columns=["id"], ids=ids,
                                     among="examples" if kind == "outliers" else "filter")
    return data.with_texts(workspace, _corpus, found)


def replace(place, results: pa.Table | None, query: str, corpus: Corpus, active, within: bool,
            path: str, version: int, labels_version: int) -> tuple[pa.Table | None, str]:
    """The sidebar's (results, query): the search's, or a request's hits and title instead
    (said in `place`, with the way back); an engine error is shown there, and the search stays."""
    asked = request()
    if asked is None:
        return results, query
    place.caption(f"Showing: {md(asked.title)}")
    place.button("Back to the search", key="like_clear", on_click=clear)
    narrowed = within and active.active
    try:
        found = hits(path, version, labels_version, asked.kind, asked.examples,
                     active.predicate if narrowed else None, _corpus=corpus, _keep=active.keep if narrowed else None)
    except LoupeError as error:
        place.error(md(str(error)))
        return results, query
    return found, asked.title


def examples_panel(ctx) -> None:
    """The Label tab's "Search by example": the selection, the search results, or the documents
    with one label value, and the buttons."""
    sources = {}  # what the curator picks -> (the examples' ids, or a mask of them; their words)
    if ctx.selected:
        sources[f"the selection: {ctx.what}"] = (ctx.selected, ctx.what)
    if ctx.results_ids:
        sources["the search results"] = (ctx.results_ids, "the search results")
    for name, (codes, categories) in ctx.labels.items():
        counts = np.bincount(codes, minlength=len(categories))
        for code, value in enumerate(categories):
            if value is not None and counts[code]:
                sources[f"{name} = {value}"] = (codes == code, f"{name} = {value}")
    st.subheader("Search by example")
    if not sources:
        st.caption("Select documents on the map, search, or label a few to search by example.")
        return
    picked = st.selectbox("Examples", list(sources), key="like_source",  # options are plain text
                          help="More like / least like these documents, by their centroid in embedding space")
    ids, what = sources[picked]
    if isinstance(ids, np.ndarray):  # a label value's mask: its ids only once picked (a numpy take)
        ids = ctx.corpus.ids_where(ids)
    st.caption(f"{len(ids):,} example document{'s' if len(ids) != 1 else ''}; the results replace the search's "
               "(sidebar), on the map and as a label target above")
    buttons(ids, what, key="label")
