"""Several annotators in a real browser: a curator names themself, labels from the map's
reader, sees their counts beside a colleague's, and settles the disagreement."""

from __future__ import annotations

import re
import shutil
import uuid

import pytest
from playwright.sync_api import expect

from indexing import Workspace
from tests.browser.conftest import app_server
from tests.browser.test_app_in_browser import TIMEOUT, _settle


@pytest.fixture(scope="module")
def own(browser, workspace, tmp_path_factory):
    """A copy of the browser workspace and the app on it, with a page drawn: the labels this
    test writes (a settled disagreement) would otherwise be seeds in the shared workspace's
    later tests (which train on exactly 4 + 4)."""
    root = tmp_path_factory.mktemp("annotators") / "ws"
    shutil.copytree(workspace.root, root)
    with app_server(root, root.parent / "server.log") as address:
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page.goto(address)
        page.wait_for_selector(".st-key-map .js-plotly-plot canvas", timeout=60_000)
        yield Workspace.open(root), page
        context.close()


def _key(key: str) -> str:
    """The CSS class Streamlit gives an element with `key` (other characters become '-')."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def _votes(workspace, doc_id: str) -> dict[str, str]:
    mine = workspace.labels.by_author("quality")
    return {a: v for d, a, v in zip(*(mine[c].to_pylist() for c in ("doc_id", "author", "value"))) if d == doc_id}


def test_an_annotator_names_themself_labels_and_settles(own):
    workspace, page = own
    doc = [i for i in workspace.docs(columns=["id"])["id"].to_pylist() if i != "evil"][-1]
    workspace.labels.add([doc], "quality", "good", author="alice-browser")
    who = f"bob-{uuid.uuid4().hex[:6]}"
    page.get_by_role("tab", name="Label").click()
    name = page.get_by_role("textbox", name="Labelling as")
    name.fill(who)
    name.press("Enter")
    _settle(page)

    page.get_by_role("tab", name="Map").click()  # the name outlives the tab: the reader labels as it
    reader = page.get_by_label("Open a document by id")
    reader.fill(doc)
    reader.press("Enter")
    page.locator(f"{_key(f'reader_{doc}_quality_bad')} button").click()
    expect(page.get_by_text("quality = bad on 1 document")).to_be_visible(timeout=TIMEOUT)
    assert _votes(workspace, doc) == {"alice-browser": "good", who: "bad"}

    page.get_by_role("tab", name="Label").click()
    expect(page.get_by_text(f"{who} · quality: bad 1")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("alice-browser · quality: good 1")).to_be_visible(timeout=TIMEOUT)
    disagreement = page.locator(_key(f"disagreement_quality_{doc}"))
    expect(disagreement.get_by_text(f"alice-browser: good · {who}: bad")).to_be_visible(timeout=TIMEOUT)
    disagreement.get_by_role("button", name="good").click()
    expect(page.get_by_text(f"settled quality = good on {doc}")).to_be_visible(timeout=TIMEOUT)
    latest = workspace.labels.latest("quality")
    row = [r for r in latest.to_pylist() if r["doc_id"] == doc][0]
    assert (row["value"], row["author"], row["settles"]) == ("good", who, True)
    assert _votes(workspace, doc) == {"alice-browser": "good", who: "bad"}  # what each said stays
    expect(page.locator(_key(f"disagreement_quality_{doc}"))).to_have_count(0, timeout=TIMEOUT)
