"""Search results and the reader: one document in full, its labels and neighbours.

Text is shown with `st.code` (a literal, escaped block) and tables with
`st.dataframe`, never as HTML or Markdown, so a document can never inject markup;
ids and the query, where they meet Markdown (captions, headers), go through `md`.
"""

from __future__ import annotations

import pyarrow as pa
import streamlit as st

from app import data, state
from app.state import KEEP
from app.label_panel import label_buttons, show_message
from components.text import md


def results_panel(results: pa.Table | None, query: str) -> None:
    if results is None:
        return

    def pick() -> None:
        row = state.picked_row("results")
        if row is not None:
            state.open_document(results["id"][row].as_py())

    st.subheader(f"{results.num_rows} results for “{md(query)}”")
    rows = {"score": results["_score"].to_pylist(), "id": results["id"].to_pylist(),
            "text": [" ".join(t.split())[:160] for t in results["text"].to_pylist()]}
    st.dataframe(rows, hide_index=True, key="results", on_select=pick, selection_mode="single-row", height=260)
    if results.num_rows and st.button("Select these results", key="select_results"):
        state.select(f"search results for “{query}”", results["id"].to_pylist())
        st.rerun()


@st.fragment  # opening a neighbour or labelling reruns the reader only, not the map
def reader_panel(workspace, corpus: data.Corpus, scheme: dict[str, list[str]], choices: list[str]) -> None:
    show_message()
    st.subheader("Reader")
    st.text_input("Open a document by id", key="open_id", persist_state=KEEP,
                  on_change=lambda: state.open_document(st.session_state.open_id.strip() or None))
    doc_id = state.open_doc() or (choices[0] if choices else None)
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
        picked = state.picked_row("neighbours")
        if picked is not None:
            state.open_document(near["id"][picked].as_py())

    st.caption("Nearest neighbours (cosine similarity); click one to read it")
    st.dataframe({"similarity": near["_score"].to_pylist(), "id": near["id"].to_pylist(),
                  "text": [" ".join(t.split())[:120] for t in near["text"].to_pylist()]},
                 hide_index=True, key="neighbours", on_select=pick, selection_mode="single-row")

