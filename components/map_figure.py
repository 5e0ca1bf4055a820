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
from plotly.colors import get_colorscale, qualitative

from components.figure_spec import narrowest, plain

MAX_HOVER_POINTS = 100_000
MAX_DRAWN_POINTS = 1_000_000
SNIPPET_CHARS = 160
PALETTE = qualitative.Dark24 + qualitative.Light24
VIRIDIS = get_colorscale("Viridis")  # spelt out, as plotly's validation would


def display_sample(groups: np.ndarray, limit: int = MAX_DRAWN_POINTS, seed: int = 0) -> np.ndarray:
    """Positions to draw: all of them up to `limit`, else a sample that keeps every group.

    Each group gets its proportional share of `limit`, but never fewer than
    min(size, 200) points (less when `limit` is small), so a small cluster stays
    visible beside huge ones.
    """
    n = len(groups)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    values, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    floor = np.minimum(sizes, min(200, max(1, limit // (2 * len(values)))))  # floors fill half the limit at most
    share = np.maximum(floor, np.floor(sizes * (limit - floor.sum()) / n).astype(np.int64))
    chosen = []
    for g in range(len(values)):
        members = np.flatnonzero(inverse == g)
        chosen.append(rng.choice(members, size=min(len(members), int(share[g])), replace=False))
    return np.sort(np.concatenate(chosen))


def escape_ids(ids: Sequence[str]) -> np.ndarray:
    """Document ids as hover text: HTML-escaped (plotly renders tags in hover text)."""
    return np.array([html.escape(str(i)) for i in ids], dtype=object)


def snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    """A short hover line, HTML-escaped: plotly renders tags in hover text."""
    flat = " ".join(text.split())
    short = flat if len(flat) <= chars else flat[: chars - 1] + "…"
    return html.escape(short)


MUTED = "#c7c7c7"  # a category without a name (unlabelled) recedes


def _colours(count: int, categories: Sequence[str | None] | None) -> list[str]:
    if categories is None:
        return [PALETTE[i % len(PALETTE)] for i in range(count)]
    return [MUTED if name is None else PALETTE[i % len(PALETTE)] for i, name in enumerate(categories)]


def _categorical_scale(colours: list[str]) -> list[list]:
    """A stepped colourscale so integer codes 0..len(colours)-1 each get one colour
    (with cmin=-0.5, cmax=len(colours)-0.5 each code sits mid-step, not on a boundary)."""
    colours = colours or [PALETTE[0]]
    count = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / count, colour], [(i + 1) / count, colour]]
    return scale


def map_figure(*args, **kwargs) -> go.Figure:
    """`map_spec` as a plotly figure (notebooks, tests); the app sends `Prepared(map_spec(...))`."""
    return plain(map_spec(*args, **kwargs))


def map_spec(
    x: np.ndarray,
    y: np.ndarray,
    ids: Sequence[str],
    *,
    color: np.ndarray | None = None,
    categorical: bool = True,
    color_name: str = "cluster",
    texts: Sequence[str] | None = None,
    highlight: np.ndarray | None = None,
    categories: Sequence[str | None] | None = None,
    clusters: np.ndarray | None = None,
    height: int = 640,
    hover_ids: np.ndarray | None = None,
    annotations: list[dict] | None = None,
    cluster_hover: np.ndarray | None = None,
) -> dict:
    """A Scattergl of (x, y); `color` is integer codes (categorical) or numbers (continuous).

    Up to MAX_HOVER_POINTS points, hover shows the escaped id, the cluster and colour value
    and, when `texts` are given, an escaped snippet; above that the cluster and colour
    value only (a click still opens the document in the reader).
    `highlight` marks positions (search results, the selection) with a ring on top.
    `categories` names the codes of a categorical colour in a legend (None: unlabelled, grey).
    `clusters` (int per point, sent as binary customdata) puts the cluster in every hover;
    with `cluster_hover` (what to say per cluster number: `cluster_labels.hover_names`) and
    at most MAX_HOVER_POINTS points, its name too. `annotations`: names drawn on the map
    (`cluster_labels.name_labels`).
    `hover_ids`: `escape_ids(ids)` made once and indexed by the caller (escaping a million
    ids costs ~0.25 s a rerun); `ids` are escaped here when it is not given.
    The figure is plain data (plotly's JSON), never validated: validating a million points
    cost seconds a rerun (the unit tests check that it validates).
    """
    n = len(x)
    marker: dict = {"size": 4 if n > 20_000 else 6, "opacity": 0.8}
    if color is not None:
        if categorical:
            codes = narrowest(np.asarray(color).astype(np.int64, copy=False))
            top = len(categories) if categories is not None else (int(codes.max()) + 1 if n else 1)
            colours = _colours(top, categories)
            # code i mid-step: at cmin=0, cmax=top it sat on the step boundary, where plotly.js's
            # cmin + (i/top)*(cmax-cmin) can round above i and give code i the colour of i-1
            marker.update(color=codes, colorscale=_categorical_scale(colours), cmin=-0.5, cmax=top - 0.5,
                          showscale=False)
        else:
            marker.update(color=np.asarray(color, dtype=np.float32), colorscale=VIRIDIS, showscale=True,
                          colorbar={"title": {"text": html.escape(color_name)}})
    def safe() -> np.ndarray:
        return hover_ids if hover_ids is not None else escape_ids(ids)

    xs, ys = np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.float32)
    trace = {"type": "scattergl", "x": xs, "y": ys, "mode": "markers", "marker": marker, "name": "documents",
             "showlegend": False}  # the legend names the categories, not this trace
    value = ""
    if clusters is not None:
        trace["customdata"] = narrowest(np.asarray(clusters).astype(np.int64, copy=False))
        if cluster_hover is not None and n <= MAX_HOVER_POINTS:
            trace["customdata"] = np.asarray(cluster_hover, dtype=object)[trace["customdata"]]
        value += "<br>cluster %{customdata}"
    if color is not None and categories is None and not (clusters is not None and color_name == "cluster"):
        value += "<br>" + html.escape(color_name) + " %{marker.color}"  # a legend names categories instead
    if n > MAX_HOVER_POINTS and value:  # ids would be most of what a rerun sends: 1.6 s, 20 MB a million
        trace.update(hovertemplate=value.removeprefix("<br>") + "<extra></extra>")
    elif n > MAX_HOVER_POINTS:
        trace.update(hoverinfo="skip")
    elif texts is not None:
        trace.update(text=np.array([snippet(t) for t in texts], dtype=object), hovertext=safe(),
                     hovertemplate="<b>%{hovertext}</b>" + value + "<br>%{text}<extra></extra>")
    else:
        trace.update(hovertext=safe(), hovertemplate="<b>%{hovertext}</b>" + value + "<extra></extra>")
    data = [trace]
    if highlight is not None and len(highlight):
        picked = np.asarray(highlight, dtype=np.int64)
        data.append({"type": "scattergl", "x": xs[picked], "y": ys[picked], "mode": "markers", "name": "results",
                     "hoverinfo": "skip",
                     "marker": {"size": 12, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#d62728"}}})
    if categorical and categories is not None:
        for name, colour in zip(categories, _colours(len(categories), categories)):
            data.append({"type": "scattergl", "x": [None], "y": [None], "mode": "markers",
                         "marker": {"color": colour, "size": 8}, "name": html.escape(name or "unlabelled"),
                         "hoverinfo": "skip"})
    layout = {"height": height, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "dragmode": "lasso",
              "showlegend": categorical and categories is not None, "legend": {"x": 0, "y": 1},
              "xaxis": {"visible": False}, "yaxis": {"visible": False}, "plot_bgcolor": "white"}
    if annotations:
        layout["annotations"] = annotations
    return {"data": data, "layout": layout}
