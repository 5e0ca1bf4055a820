"""The Filters tab's string columns: a category's bars with keep-only and remove, a text
column's contains and regex.

Like the sliders, these widgets only hold values: `app.active_filter` reads them at the top
of every run (whichever tab is open) into conditions of the one predicate, and these
panels draw what that filter made of them. Each group is a stateful expander: closed, it
draws nothing. Values and names are data: widget labels go through `md`, option labels
are plain text, the chart escapes its own.
"""

from __future__ import annotations

import streamlit as st

from app.active_filter import Filter, contains_key, exclude_key, include_key, regex_key
from app.data import Corpus
from app.session import KEEP
from components.category_bars import TOP_BARS, category_bars_spec
from components.figure_spec import Prepared
from components.text import md
from indexing.curate.categories import CATEGORY_LIMIT

CATEGORIES, TEXTS = "Categories", "Text columns"


def show_string_columns(corpus: Corpus, active: Filter, hand: bool, group_key) -> None:
    """The two groups, categories and text columns, closed at first (a closed group costs nothing)."""
    cutting = {c.column for c in active.conditions}
    if corpus.categories:
        _group(CATEGORIES, list(corpus.categories), cutting, group_key, False,
               lambda name: _category_panel(corpus, active, name, hand))
    if corpus.text_columns:
        _group(TEXTS, corpus.text_columns, cutting, group_key, False,
               lambda name: _text_panel(corpus, active, name, hand))


def _group(title: str, names: list[str], cutting: set[str], group_key, expanded: bool, panel) -> None:
    count = sum(1 for n in names if n in cutting)
    if count:  # not in the expander's label: a new label is a new expander, closed again
        st.caption(f"{title}: {count} cutting")
    group = st.expander(f"{title} ({len(names)})", expanded=expanded, key=group_key(title), on_change="rerun")
    if group.open:
        with group:
            for name in names:
                panel(name)


def _removed_caption(where, corpus: Corpus, active: Filter, name: str) -> None:
    removed = active.evaluation.removed_by.get(name, 0)
    tokens = active.evaluation.removed_tokens_by.get(name, 0)
    where.caption(f"this condition alone removes {removed:,} of {corpus.size:,} documents ({tokens:,} tokens), "
                  f"keeps {corpus.size - removed:,}")


def _category_panel(corpus: Corpus, active: Filter, name: str, hand: bool) -> None:
    category = corpus.categories[name]
    with st.container(border=True):
        plot, controls = st.columns([3, 2])
        excluded = tuple(st.session_state.get(exclude_key(name)) or ())
        figure = Prepared(category_bars_spec(category.values, category.counts, name,
                                             kept=category.kept_counts(active.keep), excluded=excluded))
        plot.plotly_chart(figure, key=f"bars_{name}", config={"displayModeBar": False})
        rest = len(category.values) - TOP_BARS
        notes = [f"{len(category.values):,} values"]
        if rest > 0:
            notes.append(f"{int(category.counts[TOP_BARS:].sum()):,} documents in the {rest:,} values not drawn")
        if category.missing:
            notes.append(f"{category.missing:,} without a value")
        plot.caption(" · ".join(notes))
        controls.multiselect(f"{md(name)}: keep only", category.values, key=include_key(name), disabled=hand,
                             persist_state=KEEP, format_func=_option,
                             help="Keep only documents with one of these values (and drop those without a value).")
        controls.multiselect(f"{md(name)}: remove", category.values, key=exclude_key(name), disabled=hand,
                             persist_state=KEEP, format_func=_option,
                             help="Remove documents with one of these values; documents without a value stay.")
        _removed_caption(controls, corpus, active, name)


def _option(value: str) -> str:
    return value if value else "(empty)"


def _text_panel(corpus: Corpus, active: Filter, name: str, hand: bool) -> None:
    with st.container(border=True):
        st.markdown(f"**{md(name)}** (nearly a value per document, or more than {CATEGORY_LIMIT})")
        left, right = st.columns(2)
        left.text_input(f"{md(name)} contains", key=contains_key(name), disabled=hand, persist_state=KEEP,
                        help="Keep documents whose value contains this text (case-sensitive).")
        right.text_input(f"{md(name)} matches regex", key=regex_key(name), disabled=hand, persist_state=KEEP,
                         help="Keep documents whose value matches this regular expression (Rust regex "
                              "syntax, as the engine runs it: `^https`, `(?i)wiki`).")
        if name in active.problems:
            st.error(md(active.problems[name]))
        else:
            _removed_caption(st, corpus, active, name)
