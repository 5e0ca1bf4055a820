"""The map figure is lean, escapes document text, and samples without losing clusters."""

from __future__ import annotations

import json

import numpy as np
import pytest

from components import map_figure as mf


def _points(n, clusters=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(size=n), rng.integers(0, clusters, n), [f"d{i}" for i in range(n)]


def test_coordinates_are_float32_and_colours_integers():
    x, y, c, ids = _points(500)
    trace = mf.map_figure(x, y, ids, color=c).data[0]
    assert trace.x.dtype == np.float32 and trace.y.dtype == np.float32
    assert trace.marker.color.dtype == np.int8  # 5 codes: the narrowest integers
    assert trace.customdata is None  # selections come back as point indices; no per-point payload


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


def test_above_the_hover_limit_hover_names_the_cluster_and_no_id_is_sent(monkeypatch):
    """A million hover ids were most of each Map rerun (1.6 s of 2.2 s, 20 of 44 MB sent):
    above the limit the hover shows the cluster and colour value only."""
    x, y, c, ids = _points(5)
    monkeypatch.setattr(mf, "MAX_HOVER_POINTS", 4)
    trace = mf.map_figure(x, y, ids, color=c, clusters=c, texts=["t"] * 5).data[0]
    assert trace.hovertext is None and trace.text is None
    assert trace.hovertemplate == "cluster %{customdata}<extra></extra>"
    bare = mf.map_figure(x, y, ids).data[0]
    assert bare.hovertext is None and bare.hoverinfo == "skip"


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


# ---- categories (colour by label): legend, escaping, stepped colours ------------------


def _plotly_colour(marker, value: float) -> str:
    """The colour plotly.js gives `value`: the scale's positions mapped onto
    cmin + position * (cmax - cmin) in float64, then d3's polylinear scale (bisect right).
    A value inside a two-colour segment gets 'mixed' (an interpolated, unnamed colour)."""
    from bisect import bisect_right

    domain = [marker.cmin + float(p) * (marker.cmax - marker.cmin) for p, _ in marker.colorscale]
    colours = [c for _, c in marker.colorscale]
    if value <= domain[0]:
        return colours[0]
    if value >= domain[-1]:
        return colours[-1]
    j = bisect_right(domain, value, 1, len(domain) - 1) - 1
    return colours[j] if colours[j] == colours[j + 1] else "mixed"


def _legend(figure) -> list[tuple[str, str]]:
    """(name, colour) of each legend entry: the traces plotly would list."""
    return [(t.name, t.marker.color) for t in figure.data if t.showlegend is not False]


def test_categories_get_one_legend_entry_each_unlabelled_grey():
    x, y, _, ids = _points(30)
    codes = np.arange(30) % 3
    figure = mf.map_figure(x, y, ids, color=codes, categories=[None, "good", "bad"], color_name="label: quality")
    assert figure.layout.showlegend is True
    legend = _legend(figure)  # the documents trace itself is no legend entry
    assert [name for name, _ in legend] == ["unlabelled", "good", "bad"]
    colours = [colour for _, colour in legend]
    assert colours[0] == mf.MUTED and mf.MUTED not in colours[1:] and len(set(colours)) == 3
    for trace in figure.data[1:]:  # legend swatches only: no visible point, no hover
        assert list(trace.x) == [None] and trace.hoverinfo == "skip"


def test_category_names_are_escaped():
    x, y, _, ids = _points(4)
    figure = mf.map_figure(x, y, ids, color=np.array([0, 1, 2, 1]),
                           categories=[None, "<b>bold</b>", "a & b"])
    assert [t.name for t in figure.data[1:]] == ["unlabelled", "&lt;b&gt;bold&lt;/b&gt;", "a &amp; b"]


@pytest.mark.parametrize("count", [2, 3, 7, 25, 29, 41, 50])
def test_each_code_is_drawn_in_its_legend_colour(count):
    """A stepped scale: every code gets exactly its category's colour (never a mix, never
    a neighbour's: at cmin=0, cmax=count code 7 of 25 rounded onto colour 6)."""
    categories = [None] + [f"value{i}" for i in range(1, count)]
    x, y, _, ids = _points(count)
    codes = np.arange(count)
    figure = mf.map_figure(x, y, ids, color=codes, categories=categories)
    marker = figure.data[0].marker
    legend = {t.name: t.marker.color for t in figure.data[1:]}  # the category swatches
    assert len(legend) == count
    drawn = [_plotly_colour(marker, float(code)) for code in marker.color]
    assert drawn == [legend[html_name] for html_name in ["unlabelled", *categories[1:]]]


@pytest.mark.parametrize("clusters", [5, 25, 43])
def test_cluster_codes_without_names_each_get_a_palette_colour_and_no_legend(clusters):
    x, y, _, ids = _points(clusters)
    codes = np.arange(clusters)[::-1].copy()
    figure = mf.map_figure(x, y, ids, color=codes)
    marker = figure.data[0].marker
    assert [_plotly_colour(marker, float(c)) for c in range(clusters)] == [
        mf.PALETTE[c % len(mf.PALETTE)] for c in range(clusters)]
    assert figure.layout.showlegend is False and len(figure.data) == 1


def test_categories_are_ignored_for_a_continuous_colour():
    x, y, _, ids = _points(10)
    figure = mf.map_figure(x, y, ids, color=np.linspace(0, 1, 10), categorical=False, categories=[None, "a"])
    assert len(figure.data) == 1 and figure.layout.showlegend is False


def test_hover_names_the_cluster_from_binary_customdata():
    x, y, c, ids = _points(300)
    trace = mf.map_figure(x, y, ids, color=np.arange(300) % 3, categories=[None, "good", "bad"], clusters=c).data[0]
    assert trace.customdata.dtype == np.int8 and list(trace.customdata[:5]) == list(c[:5])
    assert "cluster %{customdata}" in trace.hovertemplate
    assert "%{marker.color}" not in trace.hovertemplate  # a code means nothing; the legend names it
    numeric = mf.map_figure(x, y, ids, color=np.linspace(0, 1, 300), categorical=False, color_name="tokens",
                            clusters=c).data[0]
    assert "cluster %{customdata}" in numeric.hovertemplate and "tokens %{marker.color}" in numeric.hovertemplate


@pytest.mark.parametrize("options", [
    {"color": np.arange(30) % 3, "clusters": np.arange(30) % 3, "highlight": np.array([1, 4])},
    {"color": np.arange(30) % 3, "categories": [None, "good", "bad"], "texts": ["<i>t</i>"] * 30},
    {"color": np.linspace(0, 1, 30), "categorical": False, "color_name": "tokens"},
])
def test_the_figure_is_valid_plotly_and_the_same_as_through_plotly_s_validation(options):
    """The map is built as plain data and handed to plotly unvalidated (validating a million
    points cost seconds a rerun); plotly's validating constructor accepts it and gives the
    same figure, and ids escaped once by the caller (hover_ids) are the same as escaped here."""
    import plotly.graph_objects as go

    x, y, _, ids = _points(30)
    ids[0] = "<b>id</b>"
    def spec(f) -> dict:  # what Streamlit sends; key order aside
        return json.loads(f.to_json(validate=False))

    figure = mf.map_figure(x, y, ids, **options)
    assert spec(go.Figure(figure.to_dict())) == spec(figure)
    assert spec(mf.map_figure(x, y, (), hover_ids=mf.escape_ids(ids), **options)) == spec(figure)
    assert figure.data[0].hovertext[0] == "&lt;b&gt;id&lt;/b&gt;"
