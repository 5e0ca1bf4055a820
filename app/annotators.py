"""The Label tab's annotators section: labels per author, agreement, disagreements to settle.

Read from `indexing.curate.agreement` on every run of the tab (its fragment reruns
on a click, so a settlement shows at once). Settling a disagreement is one
`labels.settle` by the current author, in a button's callback: the document's label
becomes the chosen value, while what each annotator said, and so the agreement,
stays. Ids, names, values and authors are data: in captions and buttons through `md`,
in tables as plain cells.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.labelling import current_author
from app.messages import say
from components.text import md
from indexing.curate import agreement
from indexing.workspace.disk import os_error_message

SHOWN = 20  # disagreements listed at once; settling one brings the next
SNIPPET = 300  # characters of each document's text


def _settle(workspace, doc_id: str, name: str, value: str) -> None:
    try:
        workspace.labels.settle([doc_id], name, value, author=current_author())
    except OSError as error:  # a full disk: one write, so nothing was stored
        say("error", f"nothing settled: {os_error_message(error, workspace.root)}")
        return
    say("success", f"settled {name} = {value} on {doc_id}")


def show(workspace, scheme: dict[str, list[str]]) -> None:
    """Counts per author, Cohen's kappa per pair of authors, and the open disagreements."""
    counts = agreement.author_counts(workspace.labels)
    if not counts:
        st.caption("No labels yet.")
        return
    for name, by_author in counts.items():
        for author, values in by_author.items():
            st.caption(f"{md(author)} · {md(name)}: " + ", ".join(f"{md(v)} {n:,}" for v, n in values.items()))
    pairs = agreement.agreement(workspace.labels)
    if pairs:
        st.dataframe(pd.DataFrame([{
            "label": p.name, "authors": " and ".join(p.authors), "both labelled": p.documents,
            "agreed": f"{p.agreed / p.documents:.0%}", "Cohen's kappa": "n/a" if p.kappa is None else round(p.kappa, 3),
        } for p in pairs]), hide_index=True)
    else:
        st.caption("Agreement needs two authors who labelled the same documents.")
    _disagreements(workspace, scheme)


def _disagreements(workspace, scheme: dict[str, list[str]]) -> None:
    found = agreement.disagreements(workspace.labels)
    if not found:
        st.caption("No disagreements to settle.")
        return
    st.caption(f"{len(found):,} disagreement{'s' * (len(found) != 1)} to settle"
               + (f", the first {SHOWN} shown" if len(found) > SHOWN else "")
               + f"; a choice is labelled by {md(current_author())}")
    shown = found[:SHOWN]
    texts = workspace.by_ids([d.doc_id for d in shown], ["text"])
    text_of = dict(zip(texts["id"].to_pylist(), texts["text"].to_pylist()))
    for d in shown:
        with st.container(border=True, key=f"disagreement_{d.name}_{d.doc_id}"):
            votes = " · ".join(f"{md(author)}: {md(value)}" for author, value in d.votes.items())
            st.caption(f"{md(d.doc_id)} · {md(d.name)} · {votes}")
            st.text((text_of.get(d.doc_id) or "")[:SNIPPET])
            values = list(dict.fromkeys([*scheme.get(d.name, []), *d.votes.values()]))
            for cell, value in zip(st.columns(len(values)), values):
                cell.button(md(value), key=f"settle_{d.name}_{d.doc_id}_{value}", on_click=_settle,
                            args=(workspace, d.doc_id, d.name, value), use_container_width=True)
