"""A real `loupe app` server on a small real workspace, and Debian's Chromium driven by Playwright.

The workspace is built with the real default model, LanceDB and FAISS. Without
/usr/bin/chromium the browser tests skip, unless LOUPE_REQUIRE_BROWSER is set (CI
sets it, so a missing browser fails there instead of passing quietly).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from indexing import Workspace
from tests.helpers import write_jsonl

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "screenshots"
EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or os.environ.get("LOUPE_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"no browser at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, stdlib_rows) -> Workspace:
    root = tmp_path_factory.mktemp("browser")
    rows = stdlib_rows[:120] + [{"id": "evil", "text": EVIL, "kind": "x", "module": "x"}]
    rows = [{**r, "url": f"https://www.{r['module'].split('.')[0]}.example.org/{i}"} for i, r in enumerate(rows)]  # a text column; `domain` a category
    ws = Workspace.create(root / "ws", id_field="id")  # the real default model
    ws.index([write_jsonl(root / "corpus.jsonl", rows)])
    return ws


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(process, url: str, log: Path, what: str, seconds: float, ready, pause: float = 0.3) -> None:
    """Poll `url` until `ready(reply)`; fail with the server's `log` when `process` dies or
    `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if ready(reply):
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{what} did not start:\n{log.read_text()}")
        time.sleep(pause)


@contextmanager
def app_server(root: Path, log: Path) -> Iterator[str]:
    """`loupe app` on `root` exactly as a curator starts it; yields its address."""
    port = _free_port()
    loupe = Path(sys.executable).with_name("loupe")
    with open(log, "w") as out:
        process = subprocess.Popen([str(loupe), "app", "-w", str(root), "--port", str(port), "--no-browser"],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{address}/_stcore/health", log, "loupe app", 90, lambda reply: reply.read() == b"ok")
    try:
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def server(workspace, tmp_path_factory):
    """The app on the shared workspace; yields its address."""
    with app_server(workspace.root, tmp_path_factory.mktemp("server") / "server.log") as address:
        yield address


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server, request):
    """A fresh tab (a fresh Streamlit session) on the app with the map drawn; every
    dialog is recorded, and a screenshot of the final state is kept for people."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.goto(server)
    tab.wait_for_selector(".st-key-map .js-plotly-plot canvas", timeout=60_000)
    yield tab
    SCREENSHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
