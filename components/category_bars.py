"""A category chart: a string column's most frequent values, all documents and those kept.

The histogram's counterpart for `lang`, `domain`, a source's `section`: horizontal bars,
most frequent on top, the whole corpus light and the documents every condition keeps
dark, values the curator excluded shaded red. Values are data, so each label is
HTML-escaped (plotly reads `<b>` and `<br>` in tick labels); a bar's `customdata` is the
value's index in the engine's list, so a click maps back to the value itself.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from components.figure_spec import plain

TOP_BARS = 15  # bars drawn; the rest are summed in the caption
EXCLUDED = "#e8a0a0"
MAX_LABEL = 40  # characters of a value shown on the axis (the hover has it whole)


def category_bars_figure(*args, **kwargs) -> go.Figure:
    """`category_bars_spec` as a plotly figure (notebooks, tests); the app sends it `Prepared`."""
    return plain(category_bars_spec(*args, **kwargs))


def _label(value: str) -> str:
    shown = value if len(value) <= MAX_LABEL else value[:MAX_LABEL - 1] + "…"
    return html.escape(shown) if shown else "(empty)"


def category_bars_spec(values: list[str], counts: np.ndarray, name: str, kept: np.ndarray | None = None,
                       excluded: tuple[str, ...] = (), top: int = TOP_BARS) -> dict:
    """Bars of the `top` most frequent `values` (most first, as the engine orders them) with
    their `counts`, `kept` drawn over them; `excluded` values' bars shaded."""
    shown = list(values[:top])
    labels = [_label(v) for v in shown]
    if len(set(labels)) < len(labels):  # two values cut to the same label: number them
        labels = [f"{label} ({k + 1})" for k, label in enumerate(labels)]
    index = np.arange(len(shown))
    hover = [html.escape(v) for v in shown]
    colours = [EXCLUDED if v in excluded else "#b3c6dc" for v in shown]
    data = [{"type": "bar", "orientation": "h", "y": labels, "x": np.asarray(counts[:top]), "customdata": index,
             "marker": {"color": colours}, "name": "all", "text": hover,
             "hovertemplate": "%{text}: %{x} documents<extra></extra>"}]
    if kept is not None:
        data.append({"type": "bar", "orientation": "h", "y": labels, "x": np.asarray(kept[:top]), "customdata": index,
                     "marker": {"color": "#4c78a8"}, "name": "kept", "text": hover,
                     "hovertemplate": "%{text}: %{x} kept<extra></extra>"})
    layout = {"height": 40 + 18 * max(len(shown), 1), "margin": {"l": 0, "r": 0, "t": 20, "b": 0},
              "showlegend": False, "barmode": "overlay", "bargap": 0.15,
              "title": {"text": html.escape(name), "font": {"size": 12}},
              "yaxis": {"autorange": "reversed", "type": "category", "automargin": True},
              "plot_bgcolor": "white"}
    return {"data": data, "layout": layout}
