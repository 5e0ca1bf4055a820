"""A Prepared figure is sent exactly as plotly would send the same figure, without its cost."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest
from plotly.tools import return_figure_from_figure_or_data

from components.figure_spec import Prepared, plain, typed_array
from components.histogram import histogram_spec
from components.map_figure import escape_ids, map_spec


def _sent(figure) -> dict:
    """What st.plotly_chart puts on the wire for `figure` (its own two calls)."""
    return json.loads(pio.to_json(return_figure_from_figure_or_data(figure, validate_figure=True), validate=False))


def _map(n: int = 40, **options) -> dict:
    rng = np.random.default_rng(1)
    ids = [f"<b>{i}</b>" for i in range(n)]
    return map_spec(rng.normal(size=n), rng.normal(size=n), ids, **options)


SPECS = {
    "map, clusters": lambda: _map(color=np.arange(40) % 3, clusters=np.arange(40) % 3, highlight=np.array([1, 4])),
    "map, labels and texts": lambda: _map(color=np.arange(40) % 3, categories=[None, "good", "<i>bad</i>"],
                                          texts=["<script>x</script>"] * 40),
    "map, a score": lambda: _map(color=np.linspace(0, 1, 40), categorical=False, color_name="tokens"),
    "map, hover ids given": lambda: _map(hover_ids=escape_ids(range(40)), color=np.arange(40) % 5),
    "histogram": lambda: histogram_spec(np.array([3, 8, 5, 1]), np.array([-2.0, -1.0, 0.0, 1.5, 4.0]), "tokens"),
    "histogram, cut": lambda: histogram_spec(np.array([3, 8, 5, 1]), np.array([-2.0, -1.0, 0.0, 1.5, 4.0]),
                                             "a&b", low=-1.0, high=3.0, kept=np.array([0, 8, 2, 0])),
    "histogram, empty": lambda: histogram_spec(np.zeros(0, int), np.zeros(0), "empty", low=1.0),
}


@pytest.mark.parametrize("name", SPECS)
def test_a_prepared_figure_sends_what_plotly_sends(name):
    assert _sent(Prepared(SPECS[name]())) == _sent(plain(SPECS[name]()))


@pytest.mark.parametrize("name", SPECS)
def test_the_spec_is_valid_plotly(name):
    import plotly.graph_objects as go

    validated = go.Figure(SPECS[name]())  # a misspelt property or a bad value raises here
    assert _sent(validated) == _sent(plain(SPECS[name]()))


@pytest.mark.parametrize("values, dtype", [
    (np.array([1, -2, 3], dtype=np.int64), "i1"), (np.array([1, 70_000], dtype=np.int64), "i4"),
    (np.array([0.5, np.nan], dtype=np.float32), "f4"), (np.arange(6, dtype=np.uint16), "u2"),
])
def test_typed_arrays_decode_to_the_values(values, dtype):
    import base64

    spec = typed_array(values)
    assert spec["dtype"] == dtype
    decoded = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(dtype).newbyteorder("<"))
    np.testing.assert_array_equal(decoded, values)


def test_arrays_plotly_js_cannot_type_travel_as_lists():
    assert typed_array(np.array(["a", "<b>"], dtype=object)) == ["a", "<b>"]
    assert typed_array(np.array([2**40], dtype=np.int64)) == [2**40]
    assert typed_array(np.array([True, False])) == [True, False]


def test_streamlit_draws_a_prepared_figure():
    """Through a real Streamlit run: the chart's spec is the prepared JSON."""
    from streamlit.testing.v1 import AppTest

    def page():
        import numpy as np
        import streamlit as st

        from components.figure_spec import Prepared
        from components.map_figure import map_spec

        st.plotly_chart(Prepared(map_spec(np.arange(3.0), np.arange(3.0), ["a", "b", "c"], color=np.arange(3))),
                        key="map", on_select="rerun")

    app = AppTest.from_function(page).run()
    assert not app.exception
    sent = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert sent["data"][0]["type"] == "scattergl" and sent["data"][0]["x"]["dtype"] == "f4"
    assert sent["data"][0]["hovertext"] == ["a", "b", "c"]


def test_map_codes_travel_in_the_narrowest_integers():
    """A million points sent cluster codes and colour codes as int32: 8 MB a map rerun where
    int8 (up to 127 clusters) or int16 hold them."""
    import base64

    n = 1000
    few = map_spec(np.zeros(n), np.zeros(n), (), hover_ids=escape_ids(range(n)), color=np.arange(n) % 5,
                   clusters=np.arange(n) % 5)["data"][0]
    assert Prepared({"data": [few]}).to_dict()["data"][0]["marker"]["color"]["dtype"] == "i1"
    many = map_spec(np.zeros(n), np.zeros(n), (), hover_ids=escape_ids(range(n)), color=np.arange(n) % 300,
                    clusters=np.arange(n) % 300)["data"][0]
    sent = Prepared({"data": [many]}).to_dict()["data"][0]
    assert sent["marker"]["color"]["dtype"] == "i2" and sent["customdata"]["dtype"] == "i2"
    decoded = np.frombuffer(base64.b64decode(sent["customdata"]["bdata"]), dtype="<i2")
    np.testing.assert_array_equal(decoded, np.arange(n) % 300)
