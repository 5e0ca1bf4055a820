"""The map figure is lean, escapes document text, and samples without losing clusters."""

from __future__ import annotations

import json

import numpy as np

from components import map_figure as mf


def _points(n, clusters=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(size=n), rng.integers(0, clusters, n), [f"d{i}" for i in range(n)]


def test_coordinates_are_float32_and_colours_integers():
    x, y, c, ids = _points(500)
    trace = mf.map_figure(x, y, ids, color=c).data[0]
    assert trace.x.dtype == np.float32 and trace.y.dtype == np.float32
    assert trace.marker.color.dtype == np.int32
    assert list(trace.customdata[:3]) == [0, 1, 2]


def test_numpy_arrays_travel_as_binary():
    x, y, c, ids = _points(1000)
    payload = mf.map_figure(x, y, ids, color=c).to_plotly_json()
    encoded = json.loads(json.dumps(payload["data"][0]["x"], cls=__import__("plotly").utils.PlotlyJSONEncoder))
    assert isinstance(encoded, dict) and encoded["dtype"] == "f4" and "bdata" in encoded


def test_hover_text_is_escaped_and_dropped_above_the_limit(monkeypatch):
    x, y, c, ids = _points(3)
    evil = ["<script>alert(1)</script><img src=x onerror=alert(2)>", "plain", "a & b"]
    trace = mf.map_figure(x, y, ["<b>id</b>", "i2", "i3"], color=c, texts=evil).data[0]
    assert trace.text[0] == "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"
    assert trace.text[2] == "a &amp; b"
    assert trace.hovertext[0] == "&lt;b&gt;id&lt;/b&gt;"
    monkeypatch.setattr(mf, "MAX_HOVER_POINTS", 2)
    lean = mf.map_figure(x, y, ids, color=c, texts=evil).data[0]
    assert lean.text is None and "%{text}" not in lean.hovertemplate


def test_continuous_colour_has_a_scale():
    x, y, _, ids = _points(50)
    trace = mf.map_figure(x, y, ids, color=np.linspace(0, 1, 50), categorical=False, color_name="tokens").data[0]
    assert trace.marker.showscale is True and trace.marker.color.dtype == np.float32


def test_sample_keeps_every_cluster_and_respects_the_limit():
    groups = np.concatenate([np.zeros(50_000, int), np.ones(30, int), np.full(20_000, 2)])
    picked = mf.display_sample(groups, limit=10_000)
    assert len(picked) <= 10_000 + 200 and len(np.unique(picked)) == len(picked)
    kept = groups[picked]
    assert set(np.unique(kept)) == {0, 1, 2}
    assert (kept == 1).sum() == 30  # a small cluster is drawn whole
    assert abs((kept == 0).sum() / (kept == 2).sum() - 2.5) < 0.2  # big ones keep their proportion
    assert np.array_equal(mf.display_sample(groups[:100], limit=1000), np.arange(100))


def test_highlight_adds_a_ring_trace():
    x, y, c, ids = _points(20)
    figure = mf.map_figure(x, y, ids, color=c, highlight=np.array([3, 7]))
    assert len(figure.data) == 2 and list(figure.data[1].x) == [np.float32(x[3]), np.float32(x[7])]
