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

from app.active_filter import HAND, Filter, contains_key, exclude_key, include_key, regex_key
from app.string_filters import show_string_columns
from app.data import Corpus, texts_at
from app.session import KEEP
from app.tabs import Context
from components.figure_spec import Prepared
from components.histogram import histogram_spec
from components.text import md
from indexing.curate.classifiers import percentile_threshold
from indexing.curate.categories import CATEGORY_PRESETS, CategoryPreset
from indexing.curate.thresholds import Rule, long_tailed, near_in_sorted
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
    show_string_columns(corpus, active, hand, group_key)
    by_column = {r.column: r for r in active.rules}
    groups = column_groups(corpus.filterable)
    _cutting_caption(groups, by_column)
    for title, names in groups.items():
        # the title stays fixed: a keyed expander whose label changes is a new one, drawn closed
        group = st.expander(f"{md(title)} ({len(names)})", expanded=title == "Signals", key=group_key(title),
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


def _cutting_caption(groups: dict[str, list[str]], by_column: dict[str, Rule]) -> None:
    """Which groups hold cutting rules, so a closed group's thresholds are not forgotten."""
    cutting = {title: sum(1 for n in names if n in by_column and by_column[n].predicate())
               for title, names in groups.items()}
    parts = [f"{md(title)} {count}" for title, count in cutting.items() if count]
    if parts:
        st.caption("Rules cutting, by group: " + " · ".join(parts))


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
    if clear_others:  # and every condition on a string column
        for name in corpus.categories:
            st.session_state[include_key(name)] = []
            st.session_state[exclude_key(name)] = []
        for name in corpus.text_columns:
            st.session_state[contains_key(name)] = ""
            st.session_state[regex_key(name)] = ""


def _set_preset(corpus: Corpus, preset: CategoryPreset) -> None:
    """A preset of thresholds and categories: its rules as `_set_rules`, its values chosen."""
    _set_rules(corpus, list(preset.rules), False)
    for condition in preset.conditions:
        st.session_state[include_key(condition.column)] = list(condition.include)
        st.session_state[exclude_key(condition.column)] = list(condition.exclude)
    st.session_state[group_key("Categories")] = True


def _preset_fits(corpus: Corpus, preset: CategoryPreset) -> bool:
    """Every value the preset keeps is one of the workspace's (else it would keep nothing new)."""
    return all(c.column in corpus.categories and set(c.include) <= set(corpus.categories[c.column].values)
               for c in preset.conditions)


def _presets(corpus: Corpus, hand: bool) -> None:
    """One button per published rule set whose columns this workspace has."""
    usable = {name: rules for name, rules in PRESETS.items() if any(r.column in corpus.bounds for r in rules)}
    mixed = [p for p in CATEGORY_PRESETS if _preset_fits(corpus, p)]
    cells = st.columns(len(usable) + len(mixed) + 1)
    for cell, (name, rules) in zip(cells, usable.items()):
        cell.button(f"{name} preset", key=f"preset_{name}", on_click=_set_rules, args=(corpus, rules, False),
                    disabled=hand, use_container_width=True,
                    help=f"Set the {len(rules)} published thresholds of {name} (other rules stay as they are).")
    for cell, preset in zip(cells[len(usable):], mixed):
        cell.button(f"{preset.name} preset", key=f"preset_{preset.name}", on_click=_set_preset, args=(corpus, preset),
                    disabled=hand, use_container_width=True, help=f"Set {preset.about}.")
    cells[-1].button("Clear all thresholds", key="preset_clear", on_click=_set_rules, args=(corpus, [], True),
                     disabled=hand, use_container_width=True, help="Every threshold and every category or text condition.")


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
        if long_tailed(low, high):
            _exact_bounds(controls, corpus, name, hand)
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


def _set_bound(corpus: Corpus, name: str, side: int) -> None:
    """A typed bound moves that side of the slider (within the column's range, never past the other side)."""
    low, high = corpus.bounds[name]
    chosen = list(st.session_state.get(f"rule_{name}", (low, high)))
    typed = st.session_state.get(f"{('low', 'high')[side]}_{name}")
    if typed is None:
        typed = (low, high)[side]
    typed = min(max(typed, low), high)
    chosen[side] = min(typed, chosen[1]) if side == 0 else max(typed, chosen[0])
    st.session_state[f"rule_{name}"] = tuple(chosen)


def _exact_bounds(where, corpus: Corpus, name: str, hand: bool) -> None:
    """A long-tailed column (`tokens`, `chars`: orders of magnitude between its ends) gets two
    number inputs beside the slider, whose pixels there are hundreds of values wide."""
    low, high = corpus.bounds[name]
    chosen = st.session_state.get(f"rule_{name}", (low, high))
    integer = name in corpus.integer
    left, right = where.columns(2)
    for cell, side, label in ((left, 0, "at least"), (right, 1, "at most")):
        key = f"{('low', 'high')[side]}_{name}"
        st.session_state[key] = int(chosen[side]) if integer else float(chosen[side])
        cell.number_input(f"{md(name)} {label}", low, high, key=key, disabled=hand, step=1 if integer else None,
                          on_change=_set_bound, args=(corpus, name, side),
                          help="An exact bound: this column spans orders of magnitude.")


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

