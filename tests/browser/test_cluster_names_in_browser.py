"""Naming clusters and topics in a real browser: the names drawn on the map, a cluster and
a topic renamed with real clicks and key presses, the new names on the map and in the
legend, and kept in the workspace. The app runs on a copy of the browser tests' real-model
workspace, so the names written here reach no other test."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from indexing import Workspace
from tests.browser.conftest import app_server
from tests.browser.test_app_in_browser import MAP, TIMEOUT, _settle


@pytest.fixture()
def named(browser, workspace, tmp_path):
    """(page, workspace): a fresh app on a copy of the shared workspace, the map drawn."""
    shutil.copytree(workspace.root, tmp_path / "ws")
    copy = Workspace.open(tmp_path / "ws")
    with app_server(copy.root, tmp_path / "server.log") as address:
        context = browser.new_context(viewport={"width": 1500, "height": 1300})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(address)
        page.wait_for_selector(f"{MAP} canvas", timeout=60_000)
        yield page, copy
        context.close()


def _names_on_map(page) -> list[str]:
    return page.locator(f"{MAP} .annotation-text").all_text_contents()


def _choose(page, label: str, option: str, tries: int = 3) -> None:
    """Pick `option` of a selectbox as a person does: open it, type, click (the list shows a few
    at once). A rerun that lands meanwhile closes the list: then it is opened again."""
    for attempt in range(tries):
        page.get_by_label(label, exact=True).click()
        page.keyboard.type(option[:12])
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=TIMEOUT / tries)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            _settle(page)
    _settle(page)


def _rename(page, kind: str, which: str, name: str) -> None:
    box = page.get_by_label("Name", exact=True)
    _choose(page, f"Which {kind}", which)
    box.fill(name)
    box.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Rename").click()
    _settle(page)


def test_renaming_a_cluster_and_a_topic_shows_the_new_names_on_the_map_and_legend(named):
    page, ws = named
    clusters = ws.store.clusters().to_pylist()
    largest = max(clusters, key=lambda c: c["size"])
    largest_name = re.compile("^" + re.escape(", ".join(largest["keywords"][:3])) + "$")
    expect(page.locator(f"{MAP} .annotation-text", has_text=largest_name).first).to_be_visible()

    page.get_by_text("Name a cluster or topic").click()
    _settle(page)  # opening the form reruns the page: a list opened meanwhile closes under the typing
    number = clusters[-1]["cluster"]
    _rename(page, "cluster", f"{number} · {', '.join(clusters[-1]['keywords'][:3])}", "tax law")
    expect(page.get_by_text(f"cluster {number} is now named “tax law”")).to_be_visible()
    expect(page.locator(f"{MAP} .annotation-text", has_text="tax law")).to_be_visible()
    assert ws.cluster_names().clusters == {number: "tax law"}
    expect(page.get_by_label("Name", exact=True)).to_be_visible()  # the form stays open for the next name

    _choose(page, "Colour by", "topic")
    topics = ws.store.topics().to_pylist()
    # the chart redraws after the rerun: wait for its legend rather than read it at once
    expect(page.locator(f"{MAP} .legendtext")).to_have_text(
        [f"{t['topic']} · {', '.join(t['keywords'][:3])}" for t in topics], timeout=TIMEOUT)
    page.get_by_text("topic", exact=True).click()  # the "Name a" radio
    _settle(page)
    _rename(page, "topic", f"0 · {', '.join(topics[0]['keywords'][:3])}", "python internals")
    expect(page.locator(f"{MAP} .legendtext", has_text="0 · python internals")).to_be_visible()
    expect(page.locator(f"{MAP} .annotation-text", has_text="python internals")).to_be_visible()
    assert Workspace.open(ws.root).cluster_names().topics == {0: "python internals"}
    assert not [t for t in _names_on_map(page) if re.search(r"<\w", t)]
