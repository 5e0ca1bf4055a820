"""The app shows data as text wherever Streamlit takes Markdown (issue 8, defect 12).

Document ids, source column names, label values, the search query and predicates
reached captions, widget labels, buttons, radio options and messages as Markdown:
an id `![x](http://...)` fetched a remote image, `**b**` turned bold, `:red[x]` red.
Here a workspace whose ids, column names and label values hold Markdown and HTML is
driven through AppTest; every label, caption and message the app passes must carry the
data escaped (components.text.md), so it renders as its own characters.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from components.text import md
from indexing import Workspace
from tests.helpers import open_group, open_tab

APP = str(Path(__file__).parents[2] / "app" / "streamlit_app.py")
IMAGE = "![x](http://127.0.0.1:9/x.png)"
IDS = [IMAGE, "**b**", "<b>x</b>", ":red[x]", "$x$"]
COLUMNS = ["**b**", "<b>x</b>", ":red[x]", "$x$", "*p*_one", "*p*_two"]  # the last two: a group "*p*"
FLAG = "<i>flag</i>"
VALUES = [IMAGE, "**good**", ":red[bad]", "$x$"]
QUERY = "![q](http://127.0.0.1:9/q.png) **bold**"
RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MARKDOWN_HOLDERS = ("caption", "markdown", "subheader", "title", "info", "warning", "error", "success")
LABELLED = ("button", "checkbox", "toggle", "slider", "multiselect", "selectbox", "radio", "number_input",
            "text_input", "text_area", "expander", "tab")


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows) -> Workspace:
    rows = [dict(r) for r in stdlib_rows[:40]]
    for i, row in enumerate(rows):
        row.update({name: (i * (j + 2)) % 11 for j, name in enumerate(COLUMNS)})
        row[FLAG] = i % 2 == 0
    for row, doc_id in zip(rows, IDS):
        row["id"] = doc_id
    rows[1]["text"] = rows[2]["text"]  # "**b**" and "<b>x</b>": an exact duplicate pair
    ws = indexed_workspace(rows)
    ws.save_label_scheme({"quality": VALUES})
    return ws


def _texts(app: AppTest) -> list[str]:
    """Every string the app handed Streamlit as Markdown: bodies, labels, radio options."""
    texts = []
    for kind in MARKDOWN_HOLDERS:
        texts += [e.value for e in app.get(kind)]
    for kind in LABELLED:
        for element in app.get(kind):
            texts.append(element.label)
            if kind == "radio":
                texts += list(element.options)
    return [t for t in texts if t]


def _assert_shown_as_text(app: AppTest) -> list[str]:
    assert not app.exception, app.exception
    texts = _texts(app)
    for text in texts:
        html = RENDER.render(text)
        assert not re.search(r"<(img|a|strong|em|b|i|del|s)\b", html), (text, html)
        assert not re.search(r"(?<!\\)(\$|:red\[)", text), text  # Streamlit's LaTeX and colours
    return texts


def _run(monkeypatch, ws: Workspace) -> AppTest:
    monkeypatch.setenv("LOUPE_WORKSPACE", str(ws.root))
    return AppTest.from_file(APP, default_timeout=60).run()


TABS = ("Map", "Filters", "Label", "Classify", "Duplicates", "Budget", "Export")


def _every_tab_shown_as_text(app: AppTest) -> list[str]:
    """Open each tab in turn (only the open one is drawn): every text of the page, checked."""
    texts = []
    for name in TABS:
        texts += _assert_shown_as_text(open_tab(app, name))
    return texts


def test_ids_columns_values_and_queries_reach_markdown_escaped(monkeypatch, workspace):
    app = _run(monkeypatch, workspace)
    texts = _every_tab_shown_as_text(app)
    columns = [c for c in workspace.store.docs_schema().names if c in COLUMNS]
    assert columns, "the columns with Markdown in their names are stored"
    open_tab(app, "Filters")
    open_group(app, "*p*")  # a closed group draws nothing
    for name in columns:
        assert app.slider(key=f"rule_{name}").label == md(name)
    assert any(label.startswith(md("*p*")) for label in (e.label for e in app.get("expander")))
    assert f"Only where {md(FLAG)} is true" in texts
    queue = [t for t in texts if "next: " in t][0].split("next: ")[1]
    assert queue in {md(i) for i in workspace.docs(columns=["id"])["id"].to_pylist()}

    open_tab(app, "Map")
    app.text_input(key="open_id").input(IMAGE).run()  # the reader: one button per label value
    texts = _assert_shown_as_text(app)
    for value in VALUES:
        assert app.button(key=f"reader_{IMAGE}_quality_{value}").label == md(value)
    app.button(key=f"reader_{IMAGE}_quality_{IMAGE}").click().run()
    texts = _assert_shown_as_text(app)
    assert workspace.labels.counts() == {"quality": {IMAGE: 1}}
    assert md(f"quality = {IMAGE} on 1 document") in texts  # the message, all of it text
    texts = _assert_shown_as_text(open_tab(app, "Label"))
    assert any(md(IMAGE) in t for t in texts if t.startswith("quality: "))  # the label summary


def test_a_search_a_selection_and_predicates_reach_markdown_escaped(monkeypatch, workspace):
    app = _run(monkeypatch, workspace)
    app.sidebar.text_input(key="query").input(QUERY).run()
    texts = _assert_shown_as_text(app)
    assert any(t.endswith(f"results for “{md(QUERY)}”") for t in texts)
    app.button(key="select_results").click().run()
    texts = _assert_shown_as_text(app)
    assert any(t.startswith(f"Selection: search results for “{md(QUERY)}”") for t in texts)
    open_tab(app, "Label")
    assert any(md(QUERY) in option for option in app.radio(key="bulk_target").options)

    open_tab(app, "Filters")
    name = [c for c in workspace.store.docs_schema().names if c in COLUMNS][0]
    low, high = app.slider(key=f"rule_{name}").value
    app.slider(key=f"rule_{name}").set_value((low, (low + high) // 2)).run()
    texts = _every_tab_shown_as_text(app)
    predicate = app.sidebar.text_area(key="predicate_text").value
    assert predicate and f"Only what the filter keeps: {md(predicate)}" in texts

    app.sidebar.toggle(key="hand_predicate").set_value(True).run()
    app.sidebar.text_area(key="predicate_text").input("`$x$` > 1 AND `**nope**` = ':red[x]'").run()
    _every_tab_shown_as_text(app)
    assert app.sidebar.error, "the bad predicate is reported"


def test_duplicate_ids_are_captions_shown_as_text(monkeypatch, workspace):
    app = open_tab(_run(monkeypatch, workspace), "Duplicates")
    app.selectbox(key="dedup_method").set_value("exact").run()
    app.button(key="dedup_run").click().run()
    texts = _assert_shown_as_text(app)
    shown = {t.split(": ", 1)[1] for t in texts if t.startswith(("kept: ", "dropped: "))}
    assert shown == {md("**b**"), md("<b>x</b>")}
