"""A threshold histogram: where a column's values lie and what a rule cuts off.

Built from (counts, edges) the engine computed, so it is cheap to redraw on every
slider move; the removed ranges are shaded and each threshold is a line.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

REMOVED = "rgba(214, 39, 40, 0.15)"


def histogram_figure(counts: np.ndarray, edges: np.ndarray, name: str,
                     low: float | None = None, high: float | None = None, kept: np.ndarray | None = None,
                     height: int = 170) -> go.Figure:
    """Bars of `counts` between `edges`, the part outside [low, high] shaded; `kept`
    (the counts every rule keeps) drawn darker over the whole corpus's bars."""
    counts = np.asarray(counts)
    edges = np.asarray(edges, dtype=np.float64)
    figure = go.Figure()
    if len(counts):
        centres = (edges[:-1] + edges[1:]) / 2
        widths = edges[1:] - edges[:-1]
        figure.add_trace(go.Bar(x=centres, y=counts, width=widths, marker_color="#b3c6dc", name="all",
                                hovertemplate="%{x:.4g}: %{y} documents<extra></extra>"))
        if kept is not None:
            figure.add_trace(go.Bar(x=centres, y=np.asarray(kept), width=widths, marker_color="#4c78a8",
                                    name="kept", hovertemplate="%{x:.4g}: %{y} kept<extra></extra>"))
        first, last = float(edges[0]), float(edges[-1])
        for start, end, cut in ((first, low, low), (high, last, high)):
            if cut is None:
                continue
            figure.add_vrect(x0=start, x1=end, fillcolor=REMOVED, line_width=0)
            figure.add_vline(x=cut, line_color="#d62728", line_width=2)
    figure.update_layout(height=height, margin={"l": 0, "r": 0, "t": 20, "b": 0}, showlegend=False, bargap=0, barmode="overlay",
                         title={"text": html.escape(name), "font": {"size": 12}}, plot_bgcolor="white")
    return figure
