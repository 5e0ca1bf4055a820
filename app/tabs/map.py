"""The Map tab: the corpus map and the cluster list on the left, search results and the reader on the right.

A box or lasso on the map, a clicked point, or a clicked cluster row becomes the
selection (app.session). The map only draws what the filter keeps, and a sample above
a million points (LOUPE_MAP_POINTS, `loupe app --map-points`); a box or lasso on a
sampled map is tested against every kept document, so the selection is the same as
if all had been drawn.

The reader shows one document in full, its labels and neighbours. Text is shown with
`st.code` (a literal, escaped block) and tables with `st.dataframe`, never as HTML or
Markdown, so a document can never inject markup; ids and the query, where they meet
Markdown (captions, headers), go through `md`.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa
import streamlit as st

from app import cluster_view, data, like, session
from app.active_filter import Filter
from app.data import Corpus
from app.labelling import label_buttons
from app.messages import show_message
from app.session import KEEP
from app.tabs import Context
from components.figure_spec import Prepared
from components.map_figure import MAX_DRAWN_POINTS, MAX_HOVER_POINTS, display_sample, map_spec
from components.text import md
from indexing.curate.geometry import in_shapes
from indexing.vectors.placement import PLACED

LABEL_PREFIX = "label: "
DRAWN = "_drawn"  # positions the map drew in the previous run (what its events refer to)
MAP_EVENT = "_map_event"
MAP_FIGURE = "_map_figure"  # what the map drew in the previous run (`_figure_key`)
MAP_POINTS = "LOUPE_MAP_POINTS"  # the most points the map draws (default a million)


def show(ctx: Context) -> None:
    """The Map tab: map and clusters on the left, results and reader on the right. The
    results are written first: they go out before the map's figure is built and sent, so a
    search shows its hits while the browser is still redrawing the map's rings."""
    left, right = st.columns([3, 2])
    with right:
        results_panel(ctx.results, ctx.query)
    with left:
        names = cluster_view.view(ctx.path, ctx.version)
        map_panel(ctx.corpus, ctx.active, ctx.colour_by, ctx.labels, data.snippets(ctx.path, ctx.version),
                  ctx.results_ids, names)
        chosen, selected = ctx.selection()  # a box drawn on the map has just become the selection
        if chosen:
            st.caption(f"Selection: {md(chosen.what)} · {len(selected):,} documents")
            st.button("Clear selection", key="clear_selection", on_click=session.clear_selection)
            like.buttons(selected, chosen.what, key="map")  # search by example (app/like.py)
        clusters_panel(names, ctx.corpus)
        cluster_view.rename_panel(ctx.workspace, names)
    with right:
        reader_panel(ctx.workspace, ctx.corpus, ctx.scheme, selected or ctx.results_ids)


def closed() -> None:
    """The map tab is closed: the chart is not drawn, so Streamlit drops its last event.
    Forget it too, or the empty event of the next drawing would look like a new, empty
    box and clear a selection made on the map."""
    st.session_state.pop(MAP_EVENT, None)


def draw_limit() -> int:
    return int(os.environ.get(MAP_POINTS) or MAX_DRAWN_POINTS)


def colour_options(corpus: Corpus, label_names: list[str], topics: bool = False) -> list[str]:
    """What the map can be coloured by: clusters, topics (when the clusters have them), labels, columns."""
    return ["cluster", *([cluster_view.TOPIC] if topics else []), *(LABEL_PREFIX + n for n in label_names),
            *corpus.values_of]


def _colour(corpus: Corpus, colour_by: str, labels: dict, shown: np.ndarray):
    """(values, categorical, categories) for the drawn points."""
    if colour_by.startswith(LABEL_PREFIX):
        codes, categories = labels[colour_by[len(LABEL_PREFIX):]]
        return codes[shown], True, categories
    if colour_by == "cluster":
        return corpus.clusters[shown], True, None
    return np.nan_to_num(corpus.values_of[colour_by][shown]), False, None


def _named_colour(corpus: Corpus, colour_by: str, labels: dict, shown: np.ndarray,
                  names: cluster_view.ClusterView | None):
    """`_colour`, and by topic: each point's topic, the topics' names in the legend."""
    if colour_by == cluster_view.TOPIC and names is not None and names.has_topics:
        codes, categories = cluster_view.topic_colours(names, corpus.clusters[shown])
        return codes, True, categories
    return _colour(corpus, colour_by, labels, shown)


def map_panel(corpus: Corpus, active: Filter, colour_by: str, labels: dict, snippets: list[str] | None,
              results_ids: list[str], names: cluster_view.ClusterView | None = None) -> None:
    kept = np.flatnonzero(active.keep)
    shown = kept[display_sample(corpus.clusters[kept], limit=draw_limit())]
    colour, categorical, categories = _named_colour(corpus, colour_by, labels, shown, names)
    if categories is not None:  # labelled points on top of the grey unlabelled ones
        order = np.argsort(colour, kind="stable")
        shown, colour = shown[order], colour[order]
    drawn_at = np.full(corpus.size, -1, dtype=np.int64)  # row -> its place among the drawn points
    drawn_at[shown] = np.arange(len(shown))
    rings = [int(drawn_at[p]) for p in map(corpus.position.get, results_ids) if p is not None and drawn_at[p] >= 0]
    named = cluster_view.map_names(names, colour_by, corpus.clusters[shown]) if names is not None else {}
    figure = Prepared(map_spec(
        corpus.x[shown], corpus.y[shown], (),
        hover_ids=corpus.hover_ids()[shown] if len(shown) <= MAX_HOVER_POINTS else None,
        color=colour, categorical=categorical, color_name=colour_by, categories=categories,
        texts=[snippets[p] for p in shown] if snippets is not None else None,
        highlight=np.array(rings, dtype=np.int64) if rings else None, clusters=corpus.clusters[shown], **named,
    ))
    event = st.plotly_chart(figure, on_select="rerun", selection_mode=("box", "lasso", "points"), key="map")
    figure_key = _figure_key(shown, colour, colour_by, rings, named)
    redrawn = st.session_state.get(MAP_FIGURE) != figure_key
    st.session_state[MAP_FIGURE] = figure_key
    _take_map_selection(corpus, event, kept, sampled=len(shown) < len(kept), redrawn=redrawn)
    st.session_state[DRAWN] = shown
    st.caption(f"{len(shown):,} of {corpus.size:,} documents drawn" + _placed_note(corpus))


def _placed_note(corpus: Corpus) -> str:
    """Says how many points were placed from their neighbours rather than fitted (none: nothing)."""
    placed = int(np.count_nonzero(corpus.flags[PLACED])) if PLACED in corpus.flags else 0
    if not placed:
        return ""
    return (f" · {placed:,} marked as placed, not fitted: added after the map was made, they sit beside their "
            "nearest neighbours (`loupe index --remap` fits the map again)")


def _figure_key(shown: np.ndarray, colour: np.ndarray, colour_by: str, rings: list[int], named: dict) -> tuple:
    """What the map draws, cheaply: Streamlit remounts a chart whose figure changed, and the
    remounted chart reports an empty selection."""
    return (hash(np.ascontiguousarray(shown).tobytes()), hash(np.ascontiguousarray(colour).tobytes()), colour_by,
            tuple(rings), json.dumps(named, sort_keys=True, default=str))


def _take_map_selection(corpus: Corpus, event, kept: np.ndarray, sampled: bool, redrawn: bool) -> None:
    """A new box, lasso or click becomes the selection; an unchanged event does nothing,
    so a cluster picked since is not overwritten by the old box. An empty event from a map
    `redrawn` (a search's rings, another colour, a filter) is the new chart's, not the
    curator's: it keeps the selection, where an empty event on the same map (a double click)
    clears it."""
    selection = (event or {}).get("selection", {})
    points = selection.get("points", [])
    picked = tuple(int(p["point_index"]) for p in points if p.get("curve_number", 0) == 0 and "point_index" in p)
    boxes, lassos = selection.get("box") or [], selection.get("lasso") or []
    signature = (picked, json.dumps([boxes, lassos], sort_keys=True, default=str))
    if signature == st.session_state.get(MAP_EVENT, ((), "[[], []]")):
        return
    st.session_state[MAP_EVENT] = signature
    if redrawn and not (picked or boxes or lassos):
        return
    drawn = st.session_state.get(DRAWN)
    if sampled and (boxes or lassos):
        inside = kept[in_shapes(corpus.x[kept], corpus.y[kept], boxes, lassos)]
        ids = [corpus.ids[p] for p in inside]
    elif picked and drawn is not None:
        ids = [corpus.ids[int(drawn[p])] for p in picked if p < len(drawn)]
    else:
        ids = []
    if not ids:
        if session.selection() and session.selection().what == "map":
            session.clear_selection()
        return
    session.select("map", ids)
    if len(ids) == 1:
        session.open_document(ids[0])


def clusters_panel(names: cluster_view.ClusterView, corpus: Corpus) -> None:
    """The cluster list with names and topics; clicking a row selects that cluster (within the filter)."""
    table = names.clusters.drop(columns=["x", "y"])

    def pick() -> None:
        row = session.picked_row("clusters")
        if row is not None:
            cluster = int(table["cluster"][row])
            session.select(names.cluster_label(cluster), cluster=cluster)

    st.subheader("Clusters")
    st.dataframe(table, hide_index=True, height=240, key="clusters",
                 on_select=pick, selection_mode="single-row")


def results_panel(results: pa.Table | None, query: str) -> None:
    if results is None:
        return

    def pick() -> None:
        row = session.picked_row("results")
        if row is not None:
            session.open_document(results["id"][row].as_py())

    st.subheader(f"{results.num_rows} results for “{md(query)}”")
    rows = {"score": results["_score"].to_pylist(), "id": results["id"].to_pylist(),
            "text": [" ".join(t.split())[:160] for t in results["text"].to_pylist()]}
    st.dataframe(rows, hide_index=True, key="results", on_select=pick, selection_mode="single-row", height=260)
    if results.num_rows and st.button("Select these results", key="select_results"):
        session.select(f"search results for “{query}”", results["id"].to_pylist())
        st.rerun()


@st.fragment  # opening a neighbour or labelling reruns the reader only, not the map
def reader_panel(workspace, corpus: Corpus, scheme: dict[str, list[str]], choices: list[str]) -> None:
    show_message()
    st.subheader("Reader")
    st.text_input("Open a document by id", key="open_id", persist_state=KEEP,
                  on_change=lambda: session.open_document(st.session_state.open_id.strip() or None))
    doc_id = session.open_doc() or (choices[0] if choices else None)
    if doc_id is None:
        st.caption("Select documents on the map, click a cluster or search, then click a row to read it.")
        return
    row = data.document(str(workspace.root), corpus.version, doc_id, workspace, corpus)
    if row is None:
        st.warning(f"No document with id {md(repr(doc_id))}.")
        return
    row = dict(row)  # the cached row is shared: take the text from a copy
    st.text(doc_id)
    label_buttons(workspace, scheme, [doc_id], key=f"reader_{doc_id}")
    st.code(row.pop("text"), language=None, wrap_lines=True)  # literal text, never HTML or Markdown
    with st.expander("Fields and signals"):
        st.json(row)
    history = workspace.labels.history(doc_id)
    if history.num_rows:
        with st.expander(f"Labels ({history.num_rows} events)"):
            st.dataframe(history.select(["name", "value", "author", "at", "undoes"]).to_pandas(), hide_index=True)
    near = data.neighbours(str(workspace.root), corpus.version, doc_id, workspace, corpus)

    def pick() -> None:
        picked = session.picked_row("neighbours")
        if picked is not None:
            session.open_document(near["id"][picked].as_py())

    st.caption("Nearest neighbours (cosine similarity); click one to read it")
    st.dataframe({"similarity": near["_score"].to_pylist(), "id": near["id"].to_pylist(),
                  "text": [" ".join(t.split())[:120] for t in near["text"].to_pylist()]},
                 hide_index=True, key="neighbours", on_select=pick, selection_mode="single-row")

