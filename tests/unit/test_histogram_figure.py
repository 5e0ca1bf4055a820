"""The threshold histogram: bars, the kept bars, and shading only where a bound is set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from components.histogram import REMOVED, histogram_figure

COUNTS = np.array([3, 8, 5, 1])
EDGES = np.array([-2.0, -1.0, 0.0, 1.5, 4.0])


def _shapes(figure):
    """(type, x0, x1) per shape, rects first then lines, in drawing order within each."""
    shapes = [(s.type, s.x0, s.x1) for s in figure.layout.shapes]
    return [s for s in shapes if s[0] == "rect"], [s for s in shapes if s[0] == "line"]


def test_without_bounds_there_is_nothing_shaded():
    figure = histogram_figure(COUNTS, EDGES, "tokens")
    assert figure.layout.shapes == ()
    assert len(figure.data) == 1
    bars = figure.data[0]
    assert bars.type == "bar" and list(bars.y) == COUNTS.tolist()
    assert list(bars.x) == [-1.5, -0.5, 0.75, 2.75] and list(bars.width) == [1.0, 1.0, 1.5, 2.5]


def test_a_low_bound_shades_below_it_and_draws_its_line():
    rects, lines = _shapes(histogram_figure(COUNTS, EDGES, "tokens", low=-0.5))
    assert rects == [("rect", -2.0, -0.5)]
    assert lines == [("line", -0.5, -0.5)]


def test_a_high_bound_shades_above_it_and_draws_its_line():
    figure = histogram_figure(COUNTS, EDGES, "tokens", high=2.0)
    rects, lines = _shapes(figure)
    assert rects == [("rect", 2.0, 4.0)]
    assert lines == [("line", 2.0, 2.0)]
    assert figure.layout.shapes[0].fillcolor == REMOVED


@pytest.mark.parametrize("low, high", [(0.0, None), (None, 0.0), (0, 0)])
def test_a_bound_at_zero_is_a_bound(low, high):
    rects, lines = _shapes(histogram_figure(COUNTS, EDGES, "score", low=low, high=high))
    expected = [] if low is None else [("rect", -2.0, 0.0)]
    expected += [] if high is None else [("rect", 0.0, 4.0)]
    assert rects == expected
    assert len(lines) == len(expected) and all(line[1] == line[2] == 0.0 for line in lines)


def test_both_bounds_shade_both_sides():
    rects, lines = _shapes(histogram_figure(COUNTS, EDGES, "tokens", low=-1.0, high=3.0))
    assert sorted(rects) == [("rect", -2.0, -1.0), ("rect", 3.0, 4.0)]
    assert sorted(lines) == [("line", -1.0, -1.0), ("line", 3.0, 3.0)]


def test_the_kept_counts_are_a_second_bar_trace():
    kept = np.array([0, 8, 2, 0])
    figure = histogram_figure(COUNTS, EDGES, "tokens", low=-1.0, kept=kept)
    assert [t.name for t in figure.data] == ["all", "kept"]
    assert list(figure.data[1].y) == kept.tolist() and list(figure.data[1].x) == list(figure.data[0].x)
    assert figure.data[1].marker.color != figure.data[0].marker.color
    assert figure.layout.barmode == "overlay"  # kept drawn over, not beside, the whole corpus


def test_the_title_is_escaped():
    figure = histogram_figure(COUNTS, EDGES, "<img src=x onerror=alert(1)> & co")
    assert figure.layout.title.text == "&lt;img src=x onerror=alert(1)&gt; &amp; co"


def test_an_empty_column_draws_no_bars_and_no_shapes():
    figure = histogram_figure(np.zeros(0, int), np.zeros(0), "empty", low=1.0, high=2.0)
    assert figure.data == () and figure.layout.shapes == ()


@pytest.mark.parametrize("low, high, kept", [(None, None, None), (-1.0, 3.0, np.array([0, 8, 2, 0])), (0.0, None, None)])
def test_the_figure_is_valid_plotly_and_the_same_as_through_plotly_s_validation(low, high, kept):
    """The figure is built unvalidated (validation and add_vrect/add_vline cost ~100 ms a
    figure, seconds per Filters-tab rerun); plotly's validating constructor accepts it
    (a misspelt property would raise) and gives the same figure, template included."""
    import plotly.graph_objects as go

    figure = histogram_figure(COUNTS, EDGES, "tokens", low=low, high=high, kept=kept)
    validated = go.Figure(figure.to_dict())
    assert json.loads(validated.to_json(validate=False)) == json.loads(figure.to_json(validate=False))
    assert figure.layout.template == go.Figure().layout.template  # the default template (Streamlit may set it), as before
