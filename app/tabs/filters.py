"""The Filters tab: one rule per numeric column, presets, flags and label exclusions.

The tab draws the widgets whose values `app.active_filter` has already read at the
top of the run (the map and the other tabs need the filter whichever tab is open);
the predicate box and the "edit as text" toggle are in the sidebar. Columns come in
groups, each a stateful expander: a closed group draws nothing and costs nothing.
Column and label names are data: in widget labels (Markdown) they go through `md`.
"""

from __future__ import annotations

import math

import streamlit as st

from app.active_filter import HAND, Filter
from app.data import Corpus, texts_at
from app.session import KEEP
from app.tabs import Context
from components.figure_spec import Prepared
from components.histogram import histogram_spec
from components.text import md
from indexing.curate.classifiers import percentile_threshold
from indexing.curate.thresholds import Rule, near_in_sorted
from indexing.signals.rules import PRESETS

NEAR = 3  # documents shown on each side of a threshold
GROUP_TITLES = {"score": "Classifier scores", "fineweb": "FineWeb", "c4": "C4", "gopher": "Gopher"}


def column_groups(names: list[str]) -> dict[str, list[str]]:
    """Columns grouped by their `<suite>_` prefix when several share it (rule suites,
    scores), the rest as "Signals": new columns find their place without a list here."""
    prefix = {n: n.split("_", 1)[0] for n in names if "_" in n.strip("_")}
    shared = {p for p in prefix.values() if sum(1 for q in prefix.values() if q == p) > 1}
    groups: dict[str, list[str]] = {"Signals": []}
    for name in names:
        title = GROUP_TITLES.get(prefix.get(name), prefix.get(name, "").capitalize()) \
            if prefix.get(name) in shared else "Signals"
        groups.setdefault(title, []).append(name)
    return {title: members for title, members in groups.items() if members}


def group_key(title: str) -> str:
    """The widget key of a column group's expander (its open state)."""
    return f"group_{title}"


def show(ctx: Context) -> None:
    """The Filters tab: presets, the rules' overlap, the column groups, flags and label exclusions."""
    corpus, active, workspace, labels = ctx.corpus, ctx.active, ctx.workspace, ctx.labels
    hand = bool(st.session_state.get(HAND))
    if hand:
        st.info("The predicate is being edited as text in the sidebar; these sliders apply again when you switch that off.")
    _presets(corpus, hand)
    _overlap_summary(active)
    by_column = {r.column: r for r in active.rules}
    for title, names in column_groups(corpus.filterable).items():
        cutting = sum(1 for n in names if n in by_column and by_column[n].predicate())
        note = f" · {cutting} cutting" if cutting else ""
        group = st.expander(f"{md(title)} ({len(names)}){note}", expanded=title == "Signals", key=group_key(title),
                            on_change="rerun")
        if group.open:  # a closed group costs nothing: its sliders keep their values (persist_state)
            with group:
                for name in names:
                    _column_panel(corpus, active, workspace, by_column.get(name, Rule(name)), hand)
    if corpus.flags:
        st.subheader("Flags")
        for name in corpus.flags:
            st.checkbox(f"Only where {md(name)} is true", key=f"flag_{name}", disabled=hand, persist_state=KEEP)
    if labels:
        st.subheader("Labels")
        for name, (codes, categories) in labels.items():
            values = [c for c in categories if c is not None]
            st.multiselect(f"Remove documents whose {md(name)} is", values, key=f"exclude_{name}", disabled=hand, persist_state=KEEP,
                           help="Unlabelled documents stay.")


def _set_rules(corpus: Corpus, rules: list[Rule], clear_others: bool) -> None:
    """Move the sliders to `rules` (a preset's published thresholds), within each column's range."""
    wanted = {r.column: r for r in rules}
    for title, names in column_groups(corpus.filterable).items():
        if any(name in wanted for name in names):  # show what the preset set
            st.session_state[group_key(title)] = True
    for name in corpus.filterable:
        low, high = corpus.bounds[name]
        rule = wanted.get(name)
        if rule is None:
            if clear_others:
                st.session_state[f"rule_{name}"] = (low, high)
            continue
        start = low if rule.low is None else min(max(rule.low, low), high)
        end = high if rule.high is None else max(min(rule.high, high), low)
        if name in corpus.integer:  # keep >= 49.5 on whole numbers is keep >= 50
            start, end = math.ceil(start), math.floor(end)
        st.session_state[f"rule_{name}"] = (start, end)


def _presets(corpus: Corpus, hand: bool) -> None:
    """One button per published rule set whose columns this workspace has."""
    usable = {name: rules for name, rules in PRESETS.items() if any(r.column in corpus.bounds for r in rules)}
    cells = st.columns(len(usable) + 1)
    for cell, (name, rules) in zip(cells, usable.items()):
        cell.button(f"{name} preset", key=f"preset_{name}", on_click=_set_rules, args=(corpus, rules, False),
                    disabled=hand, use_container_width=True,
                    help=f"Set the {len(rules)} published thresholds of {name} (other rules stay as they are).")
    cells[-1].button("Clear all thresholds", key="preset_clear", on_click=_set_rules, args=(corpus, [], True),
                     disabled=hand, use_container_width=True)


def _keep_top(corpus: Corpus, name: str) -> None:
    """'Keep the top N%' of a score: the slider's low end moves to that percentile."""
    percent = st.session_state.get(f"top_{name}")
    low, high = corpus.bounds[name]
    cut = percentile_threshold(corpus.values_of[name], percent / 100) if percent else low
    st.session_state[f"rule_{name}"] = (min(max(float(cut), low), high), high)


def _overlap_summary(active: Filter) -> None:
    """With two or more rules cutting: how many documents more than one of them removes."""
    both = active.overlap
    if both is None or len(both.columns) < 2:
        return
    st.caption(f"{len(both.columns)} rules cut; {both.by_two_or_more:,} documents are removed by two or more of them. "
               "Each cell: documents removed by both rules (the diagonal: by that rule).")
    st.dataframe({"rule": both.columns, **{c: both.both[:, i].tolist() for i, c in enumerate(both.columns)}},
                 hide_index=True, key="overlap")


def _column_panel(corpus: Corpus, active: Filter, workspace, rule: Rule, hand: bool) -> None:
    name = rule.column
    low, high = corpus.bounds[name]
    with st.container(border=True):
        plot, controls = st.columns([3, 2])
        counts, edges = corpus.histograms[name]
        figure = Prepared(histogram_spec(counts, edges, name, rule.low, rule.high,
                                         kept=active.evaluation.kept_histograms.get(name)))
        plot.plotly_chart(figure, key=f"hist_{name}", config={"displayModeBar": False})
        controls.slider(md(name), low, high, (low, high), key=f"rule_{name}", disabled=hand, persist_state=KEEP,
                        step=None if name in corpus.integer else (high - low) / 1000)
        if name.startswith("score_"):
            controls.number_input("keep the top %", 0.0, 100.0, None, 1.0, key=f"top_{name}", disabled=hand, persist_state=KEEP,
                                  on_change=_keep_top, args=(corpus, name),
                                  help="Sets the threshold at this percentile of the scores.")
        removed = active.evaluation.removed_by.get(name, 0)
        tokens = active.evaluation.removed_tokens_by.get(name, 0)
        controls.caption(f"this rule alone removes {removed:,} of {corpus.size:,} documents "
                         f"({tokens:,} tokens), keeps {corpus.size - removed:,}")
        if rule.low is not None or rule.high is not None:
            _near_cut(controls, corpus, workspace, rule)


def _near_cut(where, corpus: Corpus, workspace, rule: Rule) -> None:
    """A few documents either side of each threshold: what this cut removes and keeps."""
    values = corpus.values_of[rule.column]
    positions: list[int] = []
    for threshold in (rule.low, rule.high):
        if threshold is not None:
            below, above = near_in_sorted(*corpus.sorted(rule.column), threshold, NEAR)
            positions += [*below.tolist(), *above.tolist()]
    positions = list(dict.fromkeys(positions))
    texts = texts_at(workspace, corpus, positions).to_pylist()
    kept = rule.mask(values[positions])
    rows = [{"side": "kept" if k else "removed", rule.column: float(values[p]), "id": corpus.ids[p],
             "text": " ".join((t or "").split())[:200]}
            for p, t, k in zip(positions, texts, kept)]
    rows.sort(key=lambda r: r[rule.column])
    where.dataframe(rows, hide_index=True, key=f"near_{rule.column}")

