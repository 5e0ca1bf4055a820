"""The Budget tab: the best documents that fit a token budget, optionally balanced.

The result becomes the selection, so the map shows it, the Label tab can label it
and the export form can write it. Candidates are what the filter keeps. The settings
are remembered with the selection, so its export and its recipe hold the budget
(which re-chooses on any corpus) rather than the list of ids.
"""

from __future__ import annotations

import streamlit as st

from app import session
from app.messages import say, show_message
from app.session import KEEP
from app.tabs import Context
from components.mix_figure import mix_figure
from components.text import md
from indexing.errors import LoupeError
from indexing.curate.budget import select_budget
from indexing.recipes import Budget

RESULT = "budget_result"
RANDOM = "(random order)"
NOTHING = "(no balance)"


def show(ctx: Context) -> None:
    """The Budget tab: among what the filter keeps, the best documents within a token budget."""
    workspace, corpus, predicate = ctx.workspace, ctx.corpus, ctx.active.predicate
    kept_tokens = ctx.active.evaluation.summary.kept_tokens
    show_message()
    st.subheader("Select within a token budget")
    st.caption(f"Among the documents the filter keeps ({kept_tokens:,} tokens).")
    left, middle, right = st.columns(3)
    tokens = left.number_input("Token budget", min_value=1, value=max(1, kept_tokens // 2), step=1000,
                               key="budget_tokens", persist_state=KEEP)
    scores = [c for c in corpus.values_of if c.startswith("score_")]
    others = [c for c in corpus.values_of if not c.startswith("score_")]
    order_by = middle.selectbox("Best first by", [*scores, RANDOM, *others], key="budget_order", persist_state=KEEP,
                                help="A classifier's score once one is trained; random order otherwise.")
    balance = right.selectbox("Balance across", [NOTHING, "cluster", *(["lang"] if "lang" in _columns(workspace) else [])],
                              key="budget_balance", persist_state=KEEP)
    share = st.number_input("The most one group may take (share of the tokens; empty: twice an equal share)",
                            0.01, 1.0, None, 0.01, key="budget_share", persist_state=KEEP, disabled=balance == NOTHING)
    if st.button("Select", key="budget_select", type="primary"):
        settings = Budget(int(tokens), order_by=None if order_by == RANDOM else order_by,
                          balance_by=None if balance == NOTHING else balance,
                          max_share=None if balance == NOTHING or share is None else float(share))
        try:
            chosen = select_budget(workspace, settings.tokens, where=predicate, order_by=settings.order_by,
                                   balance_by=settings.balance_by, max_share=settings.max_share)
        except LoupeError as error:
            st.error(md(error))
        else:
            session.select(f"budget of {chosen.tokens:,} tokens", chosen.ids)
            session.remember_budget(predicate, settings, chosen.ids)  # an export of it carries the budget
            st.session_state[RESULT] = (chosen.mix_before, chosen.mix_after)
            unused = "" if chosen.tokens >= 0.95 * chosen.budget_tokens else (
                f"; the cap of {chosen.max_share:.0%} per group left {chosen.budget_tokens - chosen.tokens:,} "
                "tokens of the budget unused")
            say("success", f"selected {chosen.docs:,} documents, {chosen.tokens:,} tokens{unused}")
            st.rerun()
    if RESULT in st.session_state:
        before, after = st.session_state[RESULT]
        for group in before:
            st.plotly_chart(mix_figure(before[group], after.get(group, {}), f"share of tokens by {group}"),
                            key=f"mix_{group}", config={"displayModeBar": False})


def _columns(workspace) -> list[str]:
    return workspace.store.docs_schema().names
