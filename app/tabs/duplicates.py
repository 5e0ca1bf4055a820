"""The Duplicates tab: find duplicate groups and look at them side by side.

Finding writes `dup_group` and `dup_keep`; the filter panel then offers the flag
"only where dup_keep is true", which drops every duplicate but the kept one.
"""

from __future__ import annotations

import streamlit as st

from app.messages import say, show_message
from app.session import KEEP
from app.tabs import Context
from components.diff import diff_html
from components.progress import StreamlitReporter
from components.text import md
from indexing import dedup
from indexing.errors import LoupeError

DEFAULT_THRESHOLD = {"exact": None, "minhash": 0.8, "semantic": 0.95}
THRESHOLD_HELP = {"minhash": "estimated Jaccard similarity of word shingles", "semantic": "cosine similarity of embeddings"}


def show(ctx: Context) -> None:
    """The Duplicates tab: find groups (keeping the best by a score, if asked), then compare them."""
    workspace = ctx.workspace
    score_columns = [c for c in ctx.corpus.values_of if c.startswith("score_")]
    show_message()
    st.subheader("Find duplicates")
    left, middle, right = st.columns(3)
    method = left.selectbox("Method", dedup.METHODS, key="dedup_method", persist_state=KEEP)
    threshold = None
    if DEFAULT_THRESHOLD[method] is not None:
        threshold = middle.number_input("Threshold", 0.5, 1.0, DEFAULT_THRESHOLD[method], 0.01,
                                        key=f"dedup_threshold_{method}", persist_state=KEEP, help=THRESHOLD_HELP[method])
    keep = right.selectbox("Keep in each group", [k for k in dedup.KEEP_RULES if k != "score" or score_columns],
                           key="dedup_keep", persist_state=KEEP)
    score = st.selectbox("Highest score by", score_columns, key="dedup_score", persist_state=KEEP) if keep == "score" else None
    if st.button("Find duplicates", key="dedup_run", type="primary"):
        try:
            found = dedup.dedup(workspace, method, threshold, keep=keep, score_column=score,
                                progress=StreamlitReporter())
        except LoupeError as error:  # bad settings, or another writer holds the workspace
            st.error(md(error))
        else:
            say("success", f"{method}: {found.groups:,} groups, {found.duplicates:,} "
                           f"documents in them, {found.removed:,} to drop ({found.seconds:.1f} s)")
            st.rerun()
    if "dup_group" in workspace.store.docs_schema().names:
        _groups(workspace)


@st.fragment  # stepping through groups reruns this part only
def _groups(workspace) -> None:
    table = dedup.groups_table(workspace, limit=50)
    if not table.num_rows:
        st.caption("No duplicates found.")
        return
    groups = list(dict.fromkeys(table["dup_group"].to_pylist()))
    st.subheader(f"The {len(groups)} largest groups")
    group = st.selectbox("Group", groups, key="dup_group_shown",
                         format_func=lambda g: f"group {g} ({table['dup_group'].to_pylist().count(g)} documents)")
    members = table.filter(table["dup_group"].to_numpy() == group).to_pylist()
    kept = next((m for m in members if m["dup_keep"]), members[0])
    others = [m for m in members if m is not kept]
    other = st.selectbox("Compare the kept document with", [m["id"] for m in others], key="dup_other") if others else None
    if other is None:
        return
    shown = next(m for m in others if m["id"] == other)
    left, right = st.columns(2)
    left.caption(f"kept: {md(kept['id'])}")
    right.caption(f"dropped: {md(shown['id'])}")
    st.html(diff_html(kept["text"], shown["text"]))  # every piece of text escaped by diff_html
