"""The Label tab: who labels, the scheme, bulk labels, undo, the labelling queue, annotators.

Every click is one `labels.add` (an append to the `labels` table) made in a widget
callback (app.labelling), so it is stored before the page redraws and nothing lives
only in the tab. The reader and this tab are fragments: a click reruns them alone,
and the map takes up new labels (colour, exclusions) at the next full rerun. Label
names, values and ids are data: where they meet Markdown (buttons, captions,
messages) they go through `md`. Several people may label one workspace: "Labelling as"
names the author of every label this session writes (the login name by default), and
undo reverts only that author's latest action, never someone else's.
"""

from __future__ import annotations

import streamlit as st

from app import annotators, like
from app.labelling import AUTHOR, add_label, current_author, label_buttons
from app.messages import say, show_message
from app.session import KEEP
from app.tabs import Context
from components.text import md
from indexing import classifiers as classify
from indexing.workspace.disk import os_error_message
from indexing.curate.label_scheme import parse_values
from indexing.errors import LoupeError
from indexing.curate.labels import default_author
from indexing.curate.queue import ORDERS, labelling_queue

SKIPPED = "queue_skipped"
ACTIVE_ORDERS = ("uncertain", "likely positive")  # active learning, once a classifier is trained on the label


def _undo(workspace) -> None:
    try:
        undone = workspace.labels.undo(current_author())
    except OSError as error:
        say("error", f"nothing undone: {os_error_message(error, workspace.root)}")
        return
    if undone:
        say("success", f"undid the last label action of {current_author()}")
    else:
        say("info", f"nothing of {current_author()} to undo")


def show(ctx: Context) -> None:
    """The Label tab, on the selection, the search results, and (for the queue) the selection
    or else what the filter keeps."""
    _tab(ctx.workspace, ctx.scheme, ctx.selected, ctx.what, ctx.results_ids, ctx.selected or ctx.kept_ids())
    like.examples_panel(ctx)  # more / least like the selection, the results or a label value (app/like.py)


@st.fragment  # a queue click reruns this tab only: labelling stays quick on a million rows
def _tab(workspace, scheme: dict[str, list[str]], selected: list[str], what: str | None,
         results: list[str], candidates: list[str]) -> None:
    show_message()
    st.text_input("Labelling as", value=default_author(), key=AUTHOR, persist_state=KEEP,
                  help="Every label you give carries this name; undo reverts only its own actions.")
    counts = workspace.labels.counts()
    summary, undo = st.columns([4, 1])
    summary.caption(" · ".join(f"{md(n)}: " + ", ".join(f"{md(v)} {c:,}" for v, c in vs.items())
                               for n, vs in counts.items()) or "No labels yet.")
    undo.button("Undo my last action", key="undo", on_click=_undo, args=(workspace,), use_container_width=True)

    st.subheader("Label many at once")
    targets = {}
    if selected:
        targets[f"the selection: {what} ({len(selected):,})"] = selected
    if results:
        targets[f"the search results ({len(results):,})"] = results
    if targets:
        target = st.radio("Label", list(targets), key="bulk_target", format_func=md)  # options are Markdown
        label_buttons(workspace, scheme, targets[target], key="bulk")
    else:
        st.caption("Select documents on the map, click a cluster, or search to label many at once.")

    st.subheader("Labelling queue")
    if scheme:
        _queue(workspace, scheme, candidates, "the selection" if selected else "the filtered corpus")
    else:
        st.caption("Define a label name below to start labelling.")

    with st.expander("Label names and values"):
        _scheme_editor(workspace, scheme)

    st.subheader("Annotators")
    annotators.show(workspace, scheme)


def _queue(workspace, scheme: dict[str, list[str]], candidates: list[str], source: str) -> None:
    left, right = st.columns(2)
    name = left.selectbox("Label name", list(scheme), key="queue_name", persist_state=KEEP)
    trained = _classifier_for(workspace, name)
    orders = [*ORDERS, *(ACTIVE_ORDERS if trained else ())]
    order = right.radio("Order", orders, horizontal=True, key="queue_order", persist_state=KEEP,
                        help="random: an unbiased sample; nearest: most like what is already labelled; "
                             "representative: the centre of each group of documents no label covers yet (a good "
                             "first labels); with a classifier for this label: uncertain (scores nearest the "
                             "boundary) or likely positive")
    skipped = st.session_state.setdefault(SKIPPED, set())
    limit = len(skipped) + 50
    if order == "uncertain":
        queue = classify.uncertain(workspace, trained, candidates, limit)
    elif order == "likely positive":
        queue = classify.likely_positive(workspace, trained, candidates, limit)
    else:
        queue = labelling_queue(workspace, candidates, name, order, limit=limit)
    queue = [i for i in queue if i not in skipped]
    if not queue:
        st.caption(f"Every document of {source} has a {md(name)} label (or was skipped).")
        return
    doc_id = queue[0]
    st.caption(f"Unlabelled documents of {source}, {order} order · next: {md(doc_id)}")
    text = workspace.by_ids([doc_id], ["text"])["text"]
    cells = st.columns(len(scheme[name]) + 1)
    for cell, value in zip(cells, scheme[name]):
        cell.button(md(value), key=f"queue_{value}", on_click=add_label, args=(workspace, [doc_id], name, value),
                    use_container_width=True, type="primary")
    cells[-1].button("skip", key="queue_skip", on_click=skipped.add, args=(doc_id,), use_container_width=True)
    st.code(text[0].as_py() if len(text) else "", language=None, wrap_lines=True)


def _classifier_for(workspace, label: str) -> str | None:
    """The most recently trained classifier on `label`, which steers the active-learning orders."""
    trained = []
    for name in classify.list_classifiers(workspace):
        try:
            trained.append(classify.load(workspace, name))
        except classify.ClassifierError:  # damaged: the Classify tab says which file and what to do
            continue
    trained = sorted((c for c in trained if c.label == label), key=lambda c: c.trained_at)
    return trained[-1].name if trained else None


def _scheme_editor(workspace, scheme: dict[str, list[str]]) -> None:
    def save() -> None:
        name = st.session_state.scheme_name.strip()
        values = parse_values(st.session_state.scheme_values)
        try:
            workspace.save_label_scheme({**scheme, name: values})
        except LoupeError as error:
            say("error", str(error))
            return
        say("success", f"label {name}: {', '.join(values)}")

    for name, values in scheme.items():
        st.text(f"{name}: {', '.join(values)}")
    left, right, go = st.columns([2, 3, 1])
    left.text_input("Name", key="scheme_name", persist_state=KEEP, placeholder="e.g. topic")
    right.text_input("Values, comma-separated", key="scheme_values", persist_state=KEEP, placeholder="e.g. code, prose, data")
    go.button("Save", key="scheme_save", on_click=save, use_container_width=True)
    st.caption("Saving an existing name replaces its values; labels already given are kept.")
