"""Cluster and topic names in the app through AppTest, on a real LanceDB + FAISS workspace:
names drawn on the map, renaming a cluster and a topic, colouring by topic with the
topics' names in the legend, and names as data (escaped, never markup)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from app.session import Selection
from tests.helpers import run_app

EVIL = "<b>bold</b><img src=x onerror=alert(1)>"


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80], clusters=9)


def _run(monkeypatch, path) -> AppTest:
    return run_app(monkeypatch, path)


def _map(app) -> dict:
    return json.loads(app.get("plotly_chart")[0].proto.spec)


def _rename(app, number: int, name: str, kind: str = "cluster") -> AppTest:
    if kind != "cluster":
        app.radio(key="rename_kind").set_value(kind).run()
    app.selectbox(key="rename_number").set_value(number)
    app.text_input(key="rename_text").input(name)
    return app.button(key="rename_button").click().run()


def test_the_map_names_the_largest_clusters_at_their_centres(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    assert not app.exception
    clusters = workspace.store.clusters().to_pylist()
    notes = {a["name"]: a for a in _map(app)["layout"]["annotations"]}
    assert len(notes) == 9  # nine clusters: all fit under the limit of twelve
    for row in clusters:
        note = notes[f"label {row['cluster']}"]
        assert note["text"] == ", ".join(row["keywords"][:3])
        assert (note["x"], note["y"]) == pytest.approx((row["x"], row["y"]), rel=1e-5)


def test_renaming_a_cluster_shows_the_name_on_the_map_the_list_and_the_selection(monkeypatch, workspace):
    app = _rename(_run(monkeypatch, workspace.root), 2, "tax law")
    assert not app.exception
    assert workspace.cluster_names().clusters == {2: "tax law"}
    assert any("cluster 2 is now named “tax law”" in s.value for s in app.success)
    spec = _map(app)
    assert {"name": "label 2", "text": "tax law"}.items() <= spec["layout"]["annotations"][0].items()  # named: first
    assert "2 · tax law" in spec["data"][0]["customdata"]  # the hover
    listing = app.dataframe[0].value
    assert listing.loc[listing["cluster"] == 2, "name"].tolist() == ["tax law"]
    # (a click on the cluster's row selects it as "cluster 2 · tax law": the browser test clicks it)


def test_colour_by_topic_names_the_topics_in_the_legend_and_on_the_map(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.sidebar.selectbox(key="colour_by").set_value("topic").run()
    assert not app.exception
    topics = workspace.store.topics().to_pylist()
    legend = [t["name"] for t in _map(app)["data"] if t.get("name", "").startswith(tuple("0123456789"))]
    assert legend == [f"{t['topic']} · {', '.join(t['keywords'][:3])}" for t in topics]
    app = _rename(app, 1, "standard library internals", kind="topic")
    assert not app.exception and workspace.cluster_names().topics == {1: "standard library internals"}
    spec = _map(app)
    assert "1 · standard library internals" in [t.get("name") for t in spec["data"]]
    assert "standard library internals" in [a["text"] for a in spec["layout"]["annotations"]]


def test_a_name_is_data_escaped_on_the_map_and_a_blank_one_restores_the_keywords(monkeypatch, workspace):
    app = _rename(_run(monkeypatch, workspace.root), 0, EVIL)
    assert not app.exception
    texts = [a["text"] for a in _map(app)["layout"]["annotations"]]
    assert "&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;" in texts
    assert not [t for t in texts if "<b>" in t or "<img" in t]
    app = _rename(app, 0, "")
    assert workspace.cluster_names().clusters == {}
    keywords = workspace.store.clusters().column("keywords").to_pylist()[0]
    assert ", ".join(keywords[:3]) in [a["text"] for a in _map(app)["layout"]["annotations"]]


def test_a_selection_made_by_cluster_keeps_working_after_a_rename(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.session_state["selection"] = Selection("cluster 1", cluster=1)
    app = _rename(app, 1, "parsers")
    assert not app.exception
    expected = workspace.count("cluster = 1")
    assert [c.value for c in app.caption if c.value.startswith("Selection:") and f"{expected:,} documents" in c.value]
