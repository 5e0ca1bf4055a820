"""Several annotators in the app (AppTest, real LanceDB + FAISS): who labels, counts per
author, agreement, settling a disagreement, and an undo that reverts only one's own work."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from indexing.curate.agreement import disagreements
from tests.helpers import open_tab

APP = str(Path(__file__).parents[2] / "app" / "streamlit_app.py")


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    ws = indexed_workspace(stdlib_rows[:40])
    ws.save_label_scheme({"quality": ["good", "bad"]})
    return ws


def _authors(workspace, doc_id: str) -> dict[str, str]:
    mine = workspace.labels.by_author("quality")
    return {a: v for d, a, v in zip(*(mine[c].to_pylist() for c in ("doc_id", "author", "value"))) if d == doc_id}


def test_labels_carry_the_author_and_disagreements_are_settled(monkeypatch, workspace):
    ids = workspace.docs(columns=["id"])["id"].to_pylist()
    workspace.labels.add(ids[:3], "quality", "good", author="alice")
    monkeypatch.setenv("LOUPE_WORKSPACE", str(workspace.root))
    app = open_tab(AppTest.from_file(APP, default_timeout=60).run(), "Label")
    app.text_input(key="label_author").input("bob").run()

    open_tab(app, "Map")  # the author outlives the Label tab: the reader labels as bob
    app.text_input(key="open_id").input(ids[0]).run()
    app.button(key=f"reader_{ids[0]}_quality_bad").click().run()
    app.text_input(key="open_id").input(ids[1]).run()
    app.button(key=f"reader_{ids[1]}_quality_good").click().run()
    assert not app.exception
    assert _authors(workspace, ids[0]) == {"alice": "good", "bob": "bad"}

    open_tab(app, "Label")
    captions = [c.value for c in app.caption]
    assert "alice · quality: good 3" in captions and "bob · quality: bad 1, good 1" in captions
    agreement = [d.value for d in app.dataframe if "Cohen's kappa" in d.value.columns][0]
    assert agreement.to_dict("records") == [{"label": "quality", "authors": "alice and bob", "both labelled": 2,
                                             "agreed": "50%", "Cohen's kappa": 0.0}]
    assert [d.doc_id for d in disagreements(workspace.labels)] == [ids[0]]
    app.button(key=f"settle_quality_{ids[0]}_good").click().run()
    assert not app.exception
    assert disagreements(workspace.labels) == []
    current = workspace.labels.current("quality")
    assert dict(zip(current["doc_id"].to_pylist(), current["value"].to_pylist()))[ids[0]] == "good"
    assert _authors(workspace, ids[0]) == {"alice": "good", "bob": "bad"}  # what each said stays
    assert "No disagreements to settle." in [c.value for c in app.caption]

    for _ in range(3):  # bob's settlement, then his two reader labels; never alice's
        app.button(key="undo").click().run()
    assert _authors(workspace, ids[0]) == {"alice": "good"} and _authors(workspace, ids[1]) == {"alice": "good"}
    app.button(key="undo").click().run()
    assert "nothing of bob to undo" in app.info[0].value
    assert len(workspace.labels.by_author("quality")) == 3
