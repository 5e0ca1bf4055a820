"""Which documents lie inside a box or lasso drawn on the map.

When the map draws a sample, the points plotly reports are only the drawn ones;
testing the drawn shape against every document's x, y makes the selection the
same as if everything had been drawn.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from indexing.workspace.sql import quote_identifier, sql_literal


def in_box(x: np.ndarray, y: np.ndarray, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    (x0, x1), (y0, y1) = sorted(xs[:2]), sorted(ys[:2])
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def box_predicate(xs: Sequence[float], ys: Sequence[float], x: str = "x", y: str = "y") -> str:
    """A box on the map as the SQL predicate that selects what `in_box` does, on the stored
    columns, so a box is a selection every view (and `ws.select`) can re-run."""
    (x0, x1), (y0, y1) = sorted(map(float, xs[:2])), sorted(map(float, ys[:2]))
    qx, qy = quote_identifier(x), quote_identifier(y)
    return (f"{qx} >= {sql_literal(x0)} AND {qx} <= {sql_literal(x1)} AND "
            f"{qy} >= {sql_literal(y0)} AND {qy} <= {sql_literal(y1)}")


def in_polygon(x: np.ndarray, y: np.ndarray, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Even-odd rule: a point is inside when a ray to its right crosses the outline an
    odd number of times (one pass over the edges, vectorised over the points)."""
    px, py = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    inside = np.zeros(len(x), dtype=bool)
    for (ax, ay), (bx, by) in zip(zip(px, py), zip(np.roll(px, -1), np.roll(py, -1))):
        if ay == by:
            continue  # a horizontal edge never crosses a horizontal ray
        straddles = (ay > y) != (by > y)
        crossing = ax + (y - ay) * (bx - ax) / (by - ay)
        inside ^= straddles & (x < crossing)
    return inside


def in_shapes(x: np.ndarray, y: np.ndarray, boxes: Sequence[dict], lassos: Sequence[dict]) -> np.ndarray:
    """The union of plotly selection shapes ({"x": [...], "y": [...]} each)."""
    mask = np.zeros(len(x), dtype=bool)
    for box in boxes:
        mask |= in_box(x, y, box["x"], box["y"])
    for lasso in lassos:
        mask |= in_polygon(x, y, lasso["x"], lasso["y"])
    return mask
