"""The notebook map (`ws.explore()`): a real workspace (hashing embedder, real LanceDB, UMAP),
plotly's real FigureWidget, and selection events delivered the way the browser sends them
(the widget's `_js2py_pointsCallback` message), checked against the engine's own answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from app.notebook import Explorer, Selection
from app.notebook.selection import ids_selection
from indexing.curate.geometry import in_box, in_polygon
from indexing.errors import LabelError, SettingError
from indexing.workspace.sql import predicate_problem

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    {"id": f"d{i}", "text": ("<b>bold</b> " if i == 3 else "") + f"document {i} about " + ["dates", "files", "sockets"][i % 3] * (i + 1),
     "kind": ["doc", "source", "test"][i % 3], "Score": i * 10}
    for i in range(40)
]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def stored(ws, where=None):
    rows = ws.docs(where, columns=["id", "x", "y"])
    return np.array(rows["id"].to_pylist(), dtype=object), rows["x"].to_numpy().astype(np.float64), rows["y"].to_numpy().astype(np.float64)


def send(explorer: Explorer, event: str, selector: dict | None = None, point_inds=()) -> None:
    """What plotly's widget front end sends on a selection: the message its JavaScript sets."""
    n = len(point_inds)
    explorer.widget._js2py_pointsCallback = {
        "event_type": event,
        "points": {"trace_indexes": [0] * n, "point_indexes": list(point_inds), "xs": [0.0] * n, "ys": [0.0] * n},
        "device_state": None, "selector": selector,
    }


def test_the_map_is_a_figure_widget_with_every_document_hover_text_and_the_selection_tools(ws):
    explorer = ws.explore()
    assert isinstance(explorer.widget, go.FigureWidget)
    points = explorer.widget.data[0]
    assert len(points.x) == ws.count() == 40
    assert sorted(points.hovertext) == sorted(f"d{i}" for i in range(40))
    bold = [t for t in points.text if "bold" in t]
    assert bold == ["&lt;b&gt;bold&lt;/b&gt; document 3 about datesdatesdatesdates"]  # text, never markup
    assert set(explorer.widget.layout.modebar.add) == {"select2d", "lasso2d"}
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_a_box_drawn_on_the_widget_is_the_engines_box_predicate(ws):
    explorer = ws.explore()
    ids, x, y = stored(ws)
    xr, yr = [float(np.percentile(x, 20)), float(np.percentile(x, 80))], [float(np.percentile(y, 70)), float(np.min(y))]
    send(explorer, "plotly_selected", {"type": "box", "selector_state": {"xrange": xr, "yrange": yr}})
    selection = explorer.selection
    expected = ids[in_box(x, y, xr, yr)].tolist()
    assert 0 < len(expected) < 40 and selection.ids == expected
    assert selection.shape == "box" and selection.exact and "`x` >=" in selection.predicate
    assert ws.select(selection.predicate) == expected


def test_a_lasso_selects_the_documents_inside_it_and_its_predicate_selects_them_too(ws):
    explorer = ws.explore()
    ids, x, y = stored(ws)
    cx, cy = float(np.median(x)), float(np.median(y))
    span = float(np.ptp(x) + np.ptp(y)) / 3
    xs, ys = [cx - span, cx + span, cx], [cy - span, cy - span, cy + span]  # a triangle around the middle
    send(explorer, "plotly_selected", {"type": "lasso", "selector_state": {"xs": xs, "ys": ys}})
    expected = ids[in_polygon(x, y, xs, ys)].tolist()
    assert 0 < len(expected) < 40 and explorer.selection.ids == expected
    assert explorer.selection.predicate.startswith("`id` IN (") and explorer.selection.exact
    assert ws.select(explorer.selection.predicate) == expected
    send(explorer, "plotly_deselect")  # a double click clears the selection on the map
    assert explorer.selection == Selection()


def test_points_without_a_shape_select_what_was_drawn_there(ws):
    explorer = ws.explore()
    send(explorer, "plotly_selected", None, point_inds=[0, 5])
    drawn = explorer.widget.data[0].hovertext
    assert sorted(explorer.selection.ids) == sorted([drawn[0], drawn[5]])
    assert ws.select(explorer.selection.predicate) == explorer.selection.ids


def test_labelling_the_selection_writes_one_event_per_document_and_recolours_a_label_map(ws):
    explorer = ws.explore()
    with pytest.raises(LabelError, match="nothing is selected"):
        explorer.label("quality", "bad")
    first = explorer.select_box([-1e9, 1e9], [-1e9, 1e9])
    assert len(first) == 40
    explorer.select_lasso(*_triangle(ws))
    chosen = explorer.selection.ids
    explorer.label("quality", "bad")
    current = ws.labels.current("quality")
    assert sorted(current["doc_id"].to_pylist()) == sorted(chosen)
    assert set(current["value"].to_pylist()) == {"bad"} and len(set(current["author"].to_pylist())) == 1
    explorer.colour("quality")
    legend = [t.name for t in explorer.widget.data[1:]]
    assert "bad" in legend and "unlabelled" in legend
    colours = np.asarray(explorer.widget.data[0].marker.color)
    assert int(np.count_nonzero(colours)) == len(chosen)  # 0 = unlabelled
    explorer.select_box([-1e9, 1e9], [-1e9, 1e9])
    explorer.label("quality", "good")  # coloured by this label: the map follows at once
    colours = np.asarray(explorer.widget.data[0].marker.color)
    assert len(set(colours.tolist())) == 1 and colours[0] != 0
    assert ws.select("quality = 'good'") == first.ids


def _triangle(ws):
    _, x, y = stored(ws)
    cx, cy, span = float(np.median(x)), float(np.median(y)), float(np.ptp(x) + np.ptp(y)) / 3
    return [cx - span, cx + span, cx], [cy - span, cy - span, cy + span]


def test_where_limits_the_map_and_every_selection(ws):
    explorer = ws.explore(where="kind = 'doc'", colour_by="kind")
    assert len(explorer.widget.data[0].x) == len(ws.select("kind = 'doc'")) == 14
    explorer.select_box([-1e9, 1e9], [-1e9, 1e9])
    assert explorer.selection.ids == ws.select("kind = 'doc'")
    assert explorer.selection.predicate.startswith("(kind = 'doc') AND ")


def test_colour_by_a_string_column_a_number_or_nothing_known(ws):
    explorer = ws.explore(colour_by="kind")
    assert sorted(t.name for t in explorer.widget.data[1:]) == ["doc", "source", "test"]
    explorer.colour("Score")
    points = explorer.widget.data[0]
    assert points.marker.showscale and sorted(np.asarray(points.marker.color).tolist()) == [i * 10.0 for i in range(40)]
    assert len(explorer.widget.data) == 1
    with pytest.raises(SettingError, match="'nope'.*kind"):
        explorer.colour("nope")
    assert explorer.colour_by == "Score"
    with pytest.raises(SettingError, match="points"):
        ws.explore(points=0)


def test_a_sampled_map_still_selects_every_document_inside_the_shape(ws):
    explorer = ws.explore(points=10)
    assert len(explorer.widget.data[0].x) < 40
    explorer.select_lasso(*_triangle(ws))
    ids, x, y = stored(ws)
    assert explorer.selection.ids == ids[in_polygon(x, y, *_triangle(ws))].tolist()


def test_a_lasso_too_large_for_an_id_list_falls_back_to_its_bounding_box_with_the_ids():
    ids = [f"doc-{i}" for i in range(3000)]
    assert predicate_problem("`id` IN (" + ", ".join(f"'{i}'" for i in ids) + ")") is not None
    selection = ids_selection("lang = 'en'", ids, "lasso", ((0, 1), (2, 3)))
    assert selection.ids == ids and not selection.exact
    assert selection.predicate == "(lang = 'en') AND `x` >= 0 AND `x` <= 1 AND `y` >= 2 AND `y` <= 3"
    assert ids_selection(None, [], "lasso", ((0, 1), (2, 3))) == Selection([], None, "lasso")


def test_the_engine_does_not_load_plotly_until_a_map_is_asked_for():
    code = "import sys, indexing; print('plotly' in sys.modules, 'anywidget' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_the_widget_opens_its_comm_holding_the_traces_not_in_a_later_update(ws, monkeypatch):
    from ipywidgets import Widget

    opened, original = [], Widget.open
    monkeypatch.setattr(Widget, "open", lambda self: (opened.append(len(self.get_state()["_widget_data"])), original(self)))
    explorer = ws.explore()
    assert opened == [len(explorer.widget.data)] and opened[0] >= 1  # once, with the points in it
