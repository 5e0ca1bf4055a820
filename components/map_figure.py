"""The corpus map: one lean plotly Scattergl built from arrays the engine returns.

Lean means numpy arrays all the way (plotly sends them as binary typed arrays),
float32 coordinates, integer colours, hover text only while the point count makes
it affordable, and a cluster-preserving sample above a million points. Counts,
selections and exports never use the sample: it only decides what is drawn.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

MAX_HOVER_POINTS = 100_000
MAX_DRAWN_POINTS = 1_000_000
SNIPPET_CHARS = 160
PALETTE = qualitative.Dark24 + qualitative.Light24


def display_sample(groups: np.ndarray, limit: int = MAX_DRAWN_POINTS, seed: int = 0) -> np.ndarray:
    """Positions to draw: all of them up to `limit`, else a sample that keeps every group.

    Each group gets its proportional share of `limit`, but never fewer than
    min(size, 200) points, so a small cluster stays visible beside huge ones.
    """
    n = len(groups)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    values, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    floor = np.minimum(sizes, 200)
    share = np.maximum(floor, np.floor(sizes * (limit - floor.sum()) / n).astype(np.int64))
    chosen = []
    for g in range(len(values)):
        members = np.flatnonzero(inverse == g)
        chosen.append(rng.choice(members, size=min(len(members), int(share[g])), replace=False))
    return np.sort(np.concatenate(chosen))


def snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    """A short hover line, HTML-escaped: plotly renders tags in hover text."""
    flat = " ".join(text.split())
    short = flat if len(flat) <= chars else flat[: chars - 1] + "…"
    return html.escape(short)


def _categorical_scale(count: int) -> list[list]:
    """A stepped colourscale so integer codes 0..count-1 each get one palette colour."""
    count = max(count, 1)
    scale = []
    for i in range(count):
        colour = PALETTE[i % len(PALETTE)]
        scale += [[i / count, colour], [(i + 1) / count, colour]]
    return scale


def map_figure(
    x: np.ndarray,
    y: np.ndarray,
    ids: Sequence[str],
    *,
    color: np.ndarray | None = None,
    categorical: bool = True,
    color_name: str = "cluster",
    texts: Sequence[str] | None = None,
    highlight: np.ndarray | None = None,
    height: int = 640,
) -> go.Figure:
    """A Scattergl of (x, y); `color` is integer codes (categorical) or numbers (continuous).

    `texts`, when given and there are at most MAX_HOVER_POINTS points, become escaped
    hover snippets; above that hover shows the id and the colour value only.
    `highlight` marks positions (search results) with a ring on top.
    """
    n = len(x)
    marker: dict = {"size": 4 if n > 20_000 else 6, "opacity": 0.8}
    if color is not None:
        if categorical:
            codes = np.asarray(color, dtype=np.int32)
            top = int(codes.max()) + 1 if n else 1
            marker.update(color=codes, colorscale=_categorical_scale(top), cmin=0, cmax=top, showscale=False)
        else:
            marker.update(color=np.asarray(color, dtype=np.float32), colorscale="Viridis", showscale=True,
                          colorbar={"title": {"text": html.escape(color_name)}})
    safe_ids = np.array([html.escape(str(i)) for i in ids], dtype=object)
    trace = go.Scattergl(
        x=np.asarray(x, dtype=np.float32),
        y=np.asarray(y, dtype=np.float32),
        mode="markers",
        marker=marker,
        customdata=np.arange(n, dtype=np.int32),
        name="documents",
    )
    value = "<br>" + html.escape(color_name) + " %{marker.color}" if color is not None else ""
    if texts is not None and n <= MAX_HOVER_POINTS:
        trace.update(text=np.array([snippet(t) for t in texts], dtype=object), hovertext=safe_ids,
                     hovertemplate="<b>%{hovertext}</b>" + value + "<br>%{text}<extra></extra>")
    else:
        trace.update(hovertext=safe_ids, hovertemplate="<b>%{hovertext}</b>" + value + "<extra></extra>")
    figure = go.Figure(trace)
    if highlight is not None and len(highlight):
        picked = np.asarray(highlight, dtype=np.int64)
        figure.add_trace(go.Scattergl(
            x=np.asarray(x, dtype=np.float32)[picked], y=np.asarray(y, dtype=np.float32)[picked],
            mode="markers", name="results", hoverinfo="skip",
            marker={"size": 12, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#d62728"}},
        ))
    figure.update_layout(
        height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="lasso", showlegend=False,
        xaxis={"visible": False}, yaxis={"visible": False}, plot_bgcolor="white",
    )
    return figure
