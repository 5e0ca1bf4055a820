"""The app's seven tabs, one module each, each drawn by one entry function `show(ctx)`.

`app/streamlit_app.py` reads the workspace, computes the filter once and draws the
sidebar, then calls `show` of the open tab only (a closed tab costs nothing). What
every tab may need is in one `Context`, made once per run; a tab that is a fragment
(a click reruns it alone) passes its fragment the pieces it needs, as arguments.
A new tab: a module here with `show(ctx)`, and its title in `PAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from app import session
from app.active_filter import Filter
from app.data import Corpus

PAGES = ("Map", "Filters", "Label", "Classify", "Duplicates", "Budget", "Export")


@dataclass
class Context:
    """One run's view of the workspace, the filter, the search and the selection."""

    path: str
    version: int  # the docs version the columns were read at
    labels_version: int
    workspace: object  # indexing.Workspace
    corpus: Corpus
    scheme: dict[str, list[str]]
    labels: dict[str, tuple[np.ndarray, list]]  # label name -> (code per row, categories)
    active: Filter
    colour_by: str = "cluster"
    query: str = ""
    results: pa.Table | None = None  # the search hits (id, text, _score), or None without a query
    results_ids: list[str] = field(default_factory=list)
    chosen: session.Selection | None = None  # the selection as made when the run began
    selected: list[str] = field(default_factory=list)  # the ids it holds then

    def selection(self) -> tuple[session.Selection | None, list[str]]:
        """The selection and the ids it holds now (a cluster: its members the filter keeps)."""
        chosen = session.selection()
        return chosen, chosen.resolve(self.corpus.ids, self.corpus.clusters, self.active.keep) if chosen else []

    @property
    def what(self) -> str | None:
        """What the selection is, in the curator's words ("cluster 3"), or None."""
        return self.chosen.what if self.chosen else None

    def kept_ids(self) -> list[str]:
        """The ids the filter keeps (every id without a filter), for those who need them."""
        return self.corpus.ids_where(self.active.keep) if self.active.active else self.corpus.ids
