"""A curator's session state the tabs share: the selection, the open document, the open tab.

(Named for what it holds: `indexing.workspace.manifest` is the workspace's build record.)
Kept in `st.session_state` under keys no widget owns, so any tab (or a widget
callback, which runs before the script) may change them. A selection is stored as
what the curator chose (explicit ids, or "cluster 3") and resolved against the
current filter on every run, so a cluster selection follows the thresholds.
Which tab is open is state too: only that tab's body runs, and the widgets of the
others keep their values meanwhile (persist_state=KEEP), so a threshold set in the
Filters tab goes on filtering the map, the queue and the export.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

SELECTION = "selection"
BUDGET = "budget_settings"  # how the Budget tab made its selection: (predicate, Budget, ids)
OPEN_DOC = "open_doc"
PAGE = "page"  # the open tab (st.tabs' key): only its body runs
KEEP = "page"  # persist_state of a tab's widgets: a closed tab's widgets keep their values


@dataclass(frozen=True)
class Selection:
    what: str  # shown to the curator: "box on the map", "cluster 3", "search results"
    ids: tuple[str, ...] | None = None
    cluster: int | None = None

    def resolve(self, ids: list[str], clusters: np.ndarray, keep: np.ndarray) -> list[str]:
        """The selected document ids now (a cluster: its members the filter keeps)."""
        if self.cluster is not None:
            return [ids[p] for p in np.flatnonzero(keep & (clusters == self.cluster))]
        return list(self.ids or ())


def selection() -> Selection | None:
    return st.session_state.get(SELECTION)


def select(what: str, ids=None, cluster: int | None = None) -> None:
    st.session_state[SELECTION] = Selection(what, tuple(ids) if ids is not None else None, cluster)


def remember_budget(where: str | None, budget, ids) -> None:
    """The settings (an `indexing.recipes.Budget`) and predicate that chose `ids`, so an
    export or a recipe of that selection can hold the budget rather than the ids."""
    st.session_state[BUDGET] = (where, budget, frozenset(ids))


def budget_of(where: str | None, ids) -> object | None:
    """The Budget that chose exactly `ids` among `where`, when the Budget tab made them; else None."""
    remembered = st.session_state.get(BUDGET)
    if remembered is None or ids is None:
        return None
    made_where, budget, made_ids = remembered
    return budget if made_where == where and made_ids == frozenset(ids) else None


def clear_selection() -> None:
    st.session_state.pop(SELECTION, None)


def open_document(doc_id: str | None) -> None:
    st.session_state[OPEN_DOC] = doc_id


def open_doc() -> str | None:
    return st.session_state.get(OPEN_DOC)


def picked_row(key: str) -> int | None:
    """The row a single-row dataframe selection holds (in a widget callback)."""
    event = st.session_state.get(key)
    rows = (event or {}).get("selection", {}).get("rows", []) if isinstance(event, dict) else event.selection.rows
    return rows[0] if rows else None
