"""The Classify tab: grow a classifier from the hand labels and see how good it is.

Training writes `score_<name>` for every document; the page then reruns whole, so the
new column appears in the filter panel (where a percentile sets its threshold) and in
"Colour by" like any other. Metrics are cross-validated on the seeds.
"""

from __future__ import annotations

import streamlit as st

from app.messages import say, show_message
from app.session import KEEP
from app.tabs import Context
from components.progress import StreamlitReporter
from components.text import md
from indexing import classifiers as classify
from indexing.errors import LoupeError

EVERY_UNLABELLED = "(every unlabelled document)"


def show(ctx: Context) -> None:
    """The Classify tab: train on the scheme's labels, then every classifier's metrics."""
    _tab(ctx.workspace, ctx.scheme)


@st.fragment
def _tab(workspace, scheme: dict[str, list[str]]) -> None:
    show_message()
    st.subheader("Train a classifier from labels")
    if not scheme:
        st.caption("Define a label name in the Label tab first.")
        return
    left, middle, right = st.columns(3)
    label = left.selectbox("Label", list(scheme), key="train_label", persist_state=KEEP)
    values = scheme[label]
    positive = middle.selectbox("Positive", values, key="train_positive", persist_state=KEEP)
    negative = right.selectbox("Negative", [v for v in values if v != positive] + [EVERY_UNLABELLED],
                               key="train_negative", persist_state=KEEP, help="Every unlabelled document: the DCLM way, a sample of "
                               "the unlabelled corpus stands for the negatives.")
    name = st.text_input("Classifier name (its column is score_<name>)", value=label, key="train_name", persist_state=KEEP)
    if st.button("Train", key="train", type="primary"):
        try:
            trained = classify.train(workspace, label, positive, None if negative == EVERY_UNLABELLED else negative,
                                     name=name.strip() or label, progress=StreamlitReporter())
        except LoupeError as error:  # bad settings, or another writer holds the workspace
            st.error(md(error))
        else:
            m = trained.metrics
            auc = f"{m.roc_auc:.3f}" if m.roc_auc is not None else "n/a (too few seeds)"
            say("success", f"trained {trained.name} on {m.positives} + {m.negatives} seeds: "
                           f"ROC AUC {auc}; wrote {trained.column}")
            st.rerun()  # the whole page: a new score column for the filters and the map
    _metrics_table(workspace)


def _metrics_table(workspace) -> None:
    names = classify.list_classifiers(workspace)
    if not names:
        st.caption("No classifier yet.")
        return
    rows = []
    for name in names:
        try:
            trained = classify.load(workspace, name)
        except classify.ClassifierError as error:  # damaged on disk: the message says which file, what to do
            st.error(md(error))
            continue
        m = trained.metrics
        rows.append({"classifier": name, "column": trained.column, "label": trained.label,
                     "positive": trained.positive, "negative": trained.negative or EVERY_UNLABELLED,
                     "seeds": f"{m.positives} + {m.negatives}", "precision": m.precision, "recall": m.recall,
                     "ROC AUC": m.roc_auc, "trained": trained.trained_at})
    st.subheader("Classifiers (cross-validated on their seeds)")
    st.dataframe(rows, hide_index=True, key="classifiers")
