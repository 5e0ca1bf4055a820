"""What a curator selected on the notebook map: the ids, and a predicate that says it in SQL.

A box is exactly a predicate on the stored `x`, `y` (and the explorer's own `where`), so
its ids are what the engine answers for that predicate. A lasso is tested against every
document's x, y (as the app does, so a sampled map selects as if all were drawn); its
predicate is `id IN (...)` while that fits the bounds every predicate is held to
(indexing/workspace/sql.py), else the lasso's bounding box with `exact=False`: then
`ws.select(sel.predicate, ids=sel.ids)` is the selection, as DESIGN.md puts it
("a filter predicate plus an explicit id list for a lasso").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from indexing.curate.geometry import box_predicate, in_polygon
from indexing.workspace.sql import predicate_problem, sql_in


@dataclass(frozen=True)
class Selection:
    """`ids` in docs order; `predicate` a SQL selection (None when nothing is selected: an
    empty lasso, a cleared map);
    `exact`: whether `ws.select(predicate)` alone gives `ids`."""

    ids: list[str] = field(default_factory=list)
    predicate: str | None = None
    shape: str = "none"  # "box", "lasso", "points" or "none"
    exact: bool = True

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        note = "" if self.exact else " (with the ids)"
        return f"Selection({len(self.ids)} documents by {self.shape}: {self.predicate!r}{note})"


def _within(where: str | None, predicate: str) -> str:
    return predicate if not where else f"({where}) AND {predicate}"


def box_selection(workspace, where: str | None, xs: Sequence[float], ys: Sequence[float]) -> Selection:
    """The documents of `where` inside the box spanning `xs`, `ys`, as the engine selects them."""
    predicate = _within(where, box_predicate(xs, ys))
    return Selection(workspace.select(predicate), predicate, "box")


def ids_selection(where: str | None, ids: list[str], shape: str,
                  bounds: tuple[Sequence[float], Sequence[float]]) -> Selection:
    """Explicit `ids` (a lasso, clicked points): `id IN (...)` when it fits the predicate bounds,
    else the bounding box `bounds` of what was drawn, which needs the ids beside it."""
    if not ids:
        return Selection([], None, shape)
    listed = sql_in("id", ids)
    if predicate_problem(listed) is None:
        return Selection(ids, listed, shape)
    return Selection(ids, _within(where, box_predicate(*bounds)), shape, exact=False)


def lasso_selection(ids: np.ndarray, x: np.ndarray, y: np.ndarray, where: str | None,
                    xs: Sequence[float], ys: Sequence[float]) -> Selection:
    """The rows (`ids`, `x`, `y`: the explorer's documents) inside the lasso `xs`, `ys`."""
    inside = ids[in_polygon(x, y, xs, ys)].tolist()
    return ids_selection(where, inside, "lasso", ((min(xs), max(xs)), (min(ys), max(ys))))
