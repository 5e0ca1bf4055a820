"""The corpus map as a live notebook widget: plotly's FigureWidget (built on anywidget).

The same figure as the app's (`map_spec`), so a notebook and the app draw one map; the
widget adds what a notebook needs: box and lasso events that reach Python, and traces that
Python can restyle after the figure is shown (a label recolours the points). plotly needs
the `anywidget` package for FigureWidget (the `notebook` extra installs it).
"""

from __future__ import annotations

from collections import Counter
from copy import deepcopy
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

MAX_CATEGORIES = 20  # a string column's most frequent values get a colour each; the rest are "(other)"
OTHER, MISSING = "(other)", "(missing)"


class MapWidget(go.FigureWidget):
    """A FigureWidget whose front end is created holding its figure.

    plotly opens the widget's comm before the figure exists and sends the traces in later
    update messages; in JupyterLab, updates that arrive while the front end still loads
    plotly's 4 MB module can be missed, and the map showed empty axes (seen in the browser
    test on a busy machine). Opening the comm once the figure is built puts the traces in
    the opening state itself."""

    def open(self) -> None:
        if self.__dict__.get("_built"):
            super().open()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._built = True
        self._widget_layout = deepcopy(self._layout_obj._props)
        self._widget_data = deepcopy(self._data)
        self.open()


def map_widget(spec: dict) -> go.FigureWidget:
    """`spec` (from `map_spec`) as a FigureWidget with the box and lasso tools in its modebar."""
    layout = dict(spec.get("layout") or {})
    layout["modebar"] = {"add": ["select2d", "lasso2d"]}
    return MapWidget(data=spec.get("data") or [], layout=layout)


def restyle(widget: go.FigureWidget, spec: dict) -> None:
    """Draw `spec` in an existing widget in place: the points trace keeps its identity (and the
    selection callbacks registered on it); the legend traces after it are replaced."""
    points, *rest = spec["data"]
    widget.data = widget.data[:1]
    widget.data[0].update({k: v for k, v in points.items() if k != "type"}, overwrite=True)
    if rest:
        widget.add_traces(rest)
    widget.layout.showlegend = spec["layout"].get("showlegend", False)


def category_codes(values: Sequence[object], limit: int = MAX_CATEGORIES) -> tuple[np.ndarray, list[str]]:
    """A string (or boolean) column as colour codes and the names of its categories: its
    `limit` most frequent values, then "(missing)" for null and "(other)" for the rest."""
    names = [None if v is None else str(v).lower() if isinstance(v, (bool, np.bool_)) else str(v) for v in values]
    counts = Counter(n for n in names if n is not None)
    categories: list[str] = [name for name, _ in counts.most_common(limit)]
    code_of = {name: i for i, name in enumerate(categories)}
    if None in names:
        code_of[None] = len(categories)
        categories.append(MISSING)
    if len(counts) > limit:
        categories.append(OTHER)
    other = len(categories) - 1
    codes = np.array([code_of.get(n, other) for n in names], dtype=np.int32)
    return codes, categories
