"""A threshold histogram: where a column's values lie and what a rule cuts off.

Built from (counts, edges) the engine computed, so it is cheap to redraw on every
slider move; the removed ranges are shaded and each threshold is a line. The Filters
tab draws one per column of its open groups on every rerun, so the figure is written as
plotly's JSON (`components.figure_spec`): plotly's validation, `add_vrect` and `add_vline`
cost ~100 ms a figure, seconds a rerun (the unit tests check the output validates).
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from components.figure_spec import plain

REMOVED = "rgba(214, 39, 40, 0.15)"
THRESHOLD = "#d62728"


def _cut(start: float, end: float, at: float) -> list[dict]:
    """The shaded removed range [start, end] and the threshold's line at `at`."""
    span = {"xref": "x", "yref": "y domain", "y0": 0, "y1": 1}
    return [{"type": "rect", "x0": start, "x1": end, "fillcolor": REMOVED, "line": {"width": 0}, **span},
            {"type": "line", "x0": at, "x1": at, "line": {"color": THRESHOLD, "width": 2}, **span}]


def histogram_figure(*args, **kwargs) -> go.Figure:
    """`histogram_spec` as a plotly figure (notebooks, tests); the app sends it `Prepared`."""
    return plain(histogram_spec(*args, **kwargs))


def histogram_spec(counts: np.ndarray, edges: np.ndarray, name: str,
                     low: float | None = None, high: float | None = None, kept: np.ndarray | None = None,
                     height: int = 170) -> dict:
    """Bars of `counts` between `edges`, the part outside [low, high] shaded; `kept`
    (the counts every rule keeps) drawn darker over the whole corpus's bars."""
    counts = np.asarray(counts)
    edges = np.asarray(edges, dtype=np.float64)
    data, shapes = [], []
    if len(counts):
        centres = (edges[:-1] + edges[1:]) / 2
        widths = edges[1:] - edges[:-1]
        data.append({"type": "bar", "x": centres, "y": counts, "width": widths, "marker": {"color": "#b3c6dc"},
                     "name": "all", "hovertemplate": "%{x:.4g}: %{y} documents<extra></extra>"})
        if kept is not None:
            data.append({"type": "bar", "x": centres, "y": np.asarray(kept), "width": widths,
                         "marker": {"color": "#4c78a8"}, "name": "kept",
                         "hovertemplate": "%{x:.4g}: %{y} kept<extra></extra>"})
        first, last = float(edges[0]), float(edges[-1])
        if low is not None:
            shapes += _cut(first, low, low)
        if high is not None:
            shapes += _cut(high, last, high)
    layout = {"height": height, "margin": {"l": 0, "r": 0, "t": 20, "b": 0}, "showlegend": False, "bargap": 0,
              "barmode": "overlay", "title": {"text": html.escape(name), "font": {"size": 12}},
              "plot_bgcolor": "white", **({"shapes": shapes} if shapes else {})}
    return {"data": data, "layout": layout}
