"""The labelling queue's "representative" order in a real browser: it offers the centre of
a group of documents no label covers yet, and after a label the centre of another. Each
document the page names is checked against the engine's queue on the same workspace."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from indexing import Workspace
from indexing.curate.queue import labelling_queue
from tests.browser.conftest import app_server
from tests.browser.test_app_in_browser import TIMEOUT, _next_in_queue


@pytest.fixture(scope="module")
def own(workspace, tmp_path_factory):
    """A copy of the browser workspace (the shared one's labels stay as other tests expect)
    with 4 + 4 labels, and the app on it."""
    root = tmp_path_factory.mktemp("queue") / "ws"
    shutil.copytree(workspace.root, root)
    ws = Workspace.open(root)
    rows = ws.docs(columns=["id", "kind"]).to_pylist()
    ws.labels.add([r["id"] for r in rows if r["kind"] == "function_doc"][:4], "quality", "good")
    ws.labels.add([r["id"] for r in rows if r["kind"] == "function_source"][:4], "quality", "bad")
    with app_server(root, root.parent / "server.log") as address:
        yield ws, address


def test_representative_queue_offers_group_centres(browser, own):
    ws, address = own
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    try:
        page.goto(address)
        page.wait_for_selector(".st-key-map .js-plotly-plot canvas", timeout=60_000)
        page.get_by_role("tab", name="Label").click()
        order = page.locator(".st-key-queue_order")
        order.get_by_text("representative", exact=True).click()
        expect(page.get_by_text(re.compile(r"representative order · next: "))).to_be_visible(timeout=TIMEOUT)
        everyone = ws.docs(columns=["id"])["id"].to_pylist()  # the candidates: no filter, no selection
        first = _next_in_queue(page)
        assert first == labelling_queue(ws, everyone, "quality", "representative", limit=50)[0]
        page.locator(".st-key-queue_good button").click()
        expect(page.get_by_text("quality = good on 1 document")).to_be_visible(timeout=TIMEOUT)
        assert dict(zip(*(ws.labels.current("quality")[c].to_pylist() for c in ("doc_id", "value"))))[first] == "good"
        second = _next_in_queue(page, after=first)  # the queue clustered again around the new label
        assert second == labelling_queue(ws, everyone, "quality", "representative", limit=50)[0]
    finally:
        page.screenshot(path=str(_shot("test_representative_queue_offers_group_centres")), full_page=True)
        context.close()


def _shot(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
