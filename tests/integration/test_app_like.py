"""Search by example in the app (app/like.py) through Streamlit's AppTest, against a real
LanceDB + FAISS workspace: the buttons under a map selection and in the Label tab ask the
engine, their hits replace the search's results (and can be labelled at once), the filter
holds, and a bad example is a message, not a traceback."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from app.session import Selection
from components.text import md
from tests.helpers import run_app, open_tab



@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80])


def _run(monkeypatch, path) -> AppTest:
    return run_app(monkeypatch, path)


def _shown(app) -> list[str]:
    """The ids of the results table (search or by example), in its order."""
    return [d.value for d in app.dataframe if "score" in d.value.columns][0]["id"].tolist()


def _showing(app) -> list[str]:
    """What the sidebar says the results are (as text: captions escape Markdown)."""
    return [c.value for c in app.sidebar.caption if c.value.startswith("Showing:")]


def test_more_like_a_cluster_shows_the_engines_hits_and_they_can_be_labelled(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.session_state["selection"] = Selection("cluster 1", cluster=1)
    app.run()
    members = workspace.select("cluster = 1")
    app.button(key="map_like_more").click().run()
    assert not app.exception
    assert _showing(app) == [f"Showing: {md(f'more like cluster 1 ({len(members)} documents)')}"]
    expected = workspace.more_like(members, k=20, columns=["id"])["id"].to_pylist()
    assert _shown(app) == expected and not set(expected) & set(members)
    assert [s.value for s in app.subheader if s.value.startswith(f"{len(expected)} results for")]
    open_tab(app, "Label")
    app.radio(key="bulk_target").set_value(f"the search results ({len(expected)})").run()
    app.button(key="bulk_quality_good").click().run()
    assert not app.exception
    current = workspace.labels.current("quality")
    assert sorted(current["doc_id"].to_pylist()) == sorted(expected)
    app.button(key="like_clear").click().run()  # back to the search: no results without a query
    assert not _showing(app) and not [d for d in app.dataframe if "score" in d.value.columns]


def test_least_like_stays_within_the_filter(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    predicate = "kind = 'function_source'"
    app.sidebar.toggle(key="hand_predicate").set_value(True).run()
    app.sidebar.text_area(key="predicate_text").input(predicate).run()
    allowed = workspace.select(predicate)
    assert 10 < len(allowed) < workspace.count()
    examples = allowed[:4]
    app.session_state["selection"] = Selection("map", tuple(examples))
    app.run()
    app.button(key="map_like_least").click().run()
    assert not app.exception
    assert _showing(app) == ["Showing: " + md("least like the map selection (4 documents)")]
    # a box stays selected under words the chart's next (empty) event does not clear
    assert [c.value for c in app.caption if c.value.startswith("Selection:")] == \
        [f"Selection: {md('the map selection')} · 4 documents"]
    expected = workspace.least_like(examples, k=20, where=predicate, columns=["id"])["id"].to_pylist()
    assert _shown(app) == expected and len(expected) == 20
    assert set(expected) <= set(allowed) - set(examples)
    app.sidebar.checkbox(key="search_within").uncheck().run()  # "Only within the filter" off: every document
    assert _shown(app) == workspace.least_like(examples, k=20, columns=["id"])["id"].to_pylist()
    assert not set(_shown(app)) <= set(allowed)


def test_the_outliers_of_a_label_value_and_a_new_search_ends_it(monkeypatch, workspace):
    ids = workspace.docs(columns=["id"])["id"].to_pylist()
    workspace.labels.add(ids[:6], "quality", "bad")
    app = open_tab(_run(monkeypatch, workspace.root), "Label")
    app.selectbox(key="like_source").set_value("quality = bad").run()
    app.button(key="label_like_outliers").click().run()
    assert not app.exception
    assert _showing(app) == ["Showing: " + md("outliers of quality = bad (6 documents)")]
    open_tab(app, "Map")
    assert _shown(app) == workspace.least_like(ids[:6], k=20, among="examples", columns=["id"])["id"].to_pylist()
    assert sorted(_shown(app)) == sorted(ids[:6])
    app.sidebar.text_input(key="query").input("parse a json document").run()
    assert not app.exception and not _showing(app)
    assert _shown(app) == workspace.search("parse a json document", k=20, columns=["id"])["id"].to_pylist()


def test_an_example_the_workspace_lacks_is_a_message(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.session_state["selection"] = Selection("map", ("ghost",))
    app.run()
    app.button(key="map_like_more").click().run()
    assert not app.exception
    assert "are not documents of" in app.sidebar.error[0].value
