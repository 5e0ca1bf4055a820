"""The filter as the widgets hold it now: one mask and one SQL predicate, computed once a run.

Sliders live in the Filters tab, but the map, search, the queue and the export need
their result, and only the open tab is drawn; so `current_filter` reads the widgets'
values from session state at the top of every run (a closed tab's widgets keep them).
In "edit as text" mode the predicate box in the sidebar is the filter, evaluated by
the engine (labels included), and the sliders rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import streamlit as st

from app.data import Corpus, predicate_mask
from indexing.curate.categories import Condition, check_condition
from indexing.curate.thresholds import Evaluation, Overlap, Rule, combined_predicate, evaluate, overlap
from indexing.errors import SelectionError
from indexing.workspace.sql import sql_equals, sql_in

HAND = "hand_predicate"  # the sidebar toggle: the predicate is edited as text
TEXT = "predicate_text"  # the sidebar's predicate box


@dataclass(frozen=True)
class Filter:
    keep: np.ndarray
    predicate: str | None  # the one SQL predicate the map, search and export share
    evaluation: Evaluation
    rules: list[Rule]
    error: str | None = None
    values_of: dict[str, np.ndarray] | None = field(default=None, repr=False)  # the rules' columns
    conditions: list[Condition] = field(default_factory=list)  # on string columns, those that cut
    masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # column -> what its condition keeps
    problems: dict[str, str] = field(default_factory=dict)  # column -> why its condition is not applied

    @property
    def active(self) -> bool:
        return self.predicate is not None

    @cached_property
    def overlap(self) -> Overlap | None:
        """How the cutting rules' removals overlap: counted when the Filters tab shows it, not
        on every rerun of every tab (a mask per rule over every row)."""
        return overlap(self.rules, self.values_of, self.masks) if self.values_of is not None else None


def rules_from(corpus: Corpus, sliders: dict[str, tuple]) -> list[Rule]:
    """The rules slider values (column -> (low, high)) mean: a side left at its bound is open."""
    rules = []
    for name in corpus.filterable:
        low, high = corpus.bounds[name]
        chosen = sliders.get(name, (low, high))
        rules.append(Rule(name, chosen[0] if chosen[0] > low else None, chosen[1] if chosen[1] < high else None))
    return rules


def _rules(corpus: Corpus) -> list[Rule]:
    state = st.session_state
    return rules_from(corpus, {n: state[f"rule_{n}"] for n in corpus.filterable if f"rule_{n}" in state})


def _conditions(corpus: Corpus, labels: dict[str, tuple[np.ndarray, list]]) -> tuple[np.ndarray | None, str | None]:
    """Label exclusions (unlabelled documents stay) and flags ("only where dup_keep is true"),
    as one mask and the predicate that means the same."""
    keep, parts = None, []

    def narrow(mask: np.ndarray) -> None:
        nonlocal keep
        keep = mask if keep is None else keep & mask

    for name, (codes, categories) in labels.items():
        excluded = st.session_state.get(f"exclude_{name}") or []
        if excluded:
            narrow(~np.isin(codes, [categories.index(v) for v in excluded if v in categories]))
            parts.append(sql_in(name, excluded, negate=True))
    for name, values in corpus.flags.items():
        if st.session_state.get(f"flag_{name}"):
            narrow(values)
            parts.append(sql_equals(name, True))
    return keep, " AND ".join(parts) or None


def include_key(name: str) -> str:
    """The multiselect of the values of category `name` to keep (only them)."""
    return f"cat_in_{name}"


def exclude_key(name: str) -> str:
    """The multiselect of the values of category `name` to remove."""
    return f"cat_out_{name}"


def contains_key(name: str) -> str:
    return f"contains_{name}"


def regex_key(name: str) -> str:
    return f"regex_{name}"


def _chosen(key: str, values: list[str]) -> tuple[str, ...]:
    """A multiselect's values that the category still holds (a value gone after a new
    `loupe index` is dropped from the widget too, which would refuse it)."""
    chosen = st.session_state.get(key) or []
    present = set(values)
    kept = [v for v in chosen if v in present]
    if len(kept) != len(chosen):
        st.session_state[key] = kept
    return tuple(kept)


def _string_conditions(corpus: Corpus, path: str, version: int, labels_version: int
                       ) -> tuple[list[Condition], dict[str, np.ndarray], dict[str, str]]:
    """The conditions on string columns the widgets hold, what each keeps, and why any is not applied."""
    state = st.session_state
    conditions, masks, problems = [], {}, {}
    for name, category in corpus.categories.items():
        condition = Condition(name, include=_chosen(include_key(name), category.values),
                              exclude=_chosen(exclude_key(name), category.values))
        if condition.cuts:
            conditions.append(condition)
            masks[name] = condition.mask(category)
    for name in corpus.text_columns:
        regex = (state.get(regex_key(name)) or "").strip()
        try:
            check_condition(Condition(name, regex=regex))
        except SelectionError as problem:  # the regex rests until it is fixed; "contains" still holds
            problems[name], regex = str(problem), ""
        condition = Condition(name, contains=state.get(contains_key(name)) or "", regex=regex)
        if not condition.cuts:
            continue
        try:  # the engine's own answer (a text column is not held in memory)
            masks[name] = predicate_mask(path, version, labels_version, condition.predicate())
        except SelectionError as problem:  # e.g. a text beyond the predicate's bounds
            problems[name] = str(problem)
            continue
        conditions.append(condition)
    return conditions, masks, problems


def current_filter(corpus: Corpus, path: str, version: int, labels_version: int,
                   labels: dict[str, tuple[np.ndarray, list]]) -> Filter:
    """The filter as the widgets hold it now (before they are drawn in this run)."""
    rules = _rules(corpus)
    extra_keep, extra_predicate = _conditions(corpus, labels)
    if not st.session_state.get(HAND):
        conditions, masks, problems = _string_conditions(corpus, path, version, labels_version)
        generated = combined_predicate(rules, extra=extra_predicate, conditions=conditions)
        st.session_state[TEXT] = generated or ""
        evaluation = evaluate(rules, corpus.values_of, corpus.tokens, corpus.bins_of, base=extra_keep, masks=masks)
        return Filter(evaluation.keep, generated, evaluation, rules, values_of=corpus.values_of,
                      conditions=conditions, masks=masks, problems=problems)
    written = (st.session_state.get(TEXT) or "").strip() or None
    error, base = None, None
    if written:
        try:
            base = predicate_mask(path, version, labels_version, written)
        except SelectionError as problem:
            error, written = str(problem), None
    evaluation = evaluate([], corpus.values_of, corpus.tokens, corpus.bins_of, base=base)
    return Filter(evaluation.keep, written, evaluation, [], error)
