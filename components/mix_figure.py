"""Before and after: each group's share of the tokens, as paired bars."""

from __future__ import annotations

import html

import plotly.graph_objects as go


def mix_figure(before: dict[str, float], after: dict[str, float], title: str, height: int = 260) -> go.Figure:
    """Groups ordered by their share before; shares are fractions (0..1) of the tokens."""
    groups = sorted(set(before) | set(after), key=lambda g: -before.get(g, 0.0))
    labels = [html.escape(str(g)) for g in groups]
    figure = go.Figure([
        go.Bar(name="before", x=labels, y=[before.get(g, 0.0) for g in groups], marker_color="#b3c6dc"),
        go.Bar(name="after", x=labels, y=[after.get(g, 0.0) for g in groups], marker_color="#4c78a8"),
    ])
    figure.update_layout(barmode="group", height=height, margin={"l": 0, "r": 0, "t": 30, "b": 0},
                         title={"text": html.escape(title), "font": {"size": 13}}, yaxis={"tickformat": ".0%"},
                         plot_bgcolor="white", legend={"orientation": "h", "y": 1.15, "x": 1, "xanchor": "right"})
    return figure
