"""An image in a document id is shown as text and never fetched (issue 8, defect 12).

Every document id of a small workspace is Markdown for an image on a tiny HTTP server
this test runs. After the reader shows one and the Label tab's queue caption names
one, the page holds no <img> pointing at that server and the server got no request.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from indexing import Workspace
from tests.browser.conftest import app_server
from tests.helpers import write_jsonl

TIMEOUT = 60_000


@pytest.fixture()
def image_server():
    """A local server that records every request (and answers with an empty image)."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], requests
    httpd.shutdown()


def test_an_image_in_an_id_is_shown_as_text_and_never_fetched(browser, image_server, tmp_path, stdlib_rows):
    port, requests = image_server
    image = f"http://127.0.0.1:{port}"
    rows = [{**r, "id": f"![x]({image}/{i}.png)"} for i, r in enumerate(stdlib_rows[:30])]
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "c.jsonl", rows)])
    ws.save_label_scheme({"quality": [f"![v]({image}/value.png)", "bad"]})
    with app_server(ws.root, tmp_path / "server.log") as address:
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(address)
        expect(page.get_by_text(re.compile(r"30 of 30 documents drawn"))).to_be_visible()
        reader = page.get_by_label("Open a document by id")
        reader.fill(rows[0]["id"])
        reader.press("Enter")
        expect(page.get_by_text(rows[0]["id"], exact=True)).to_be_visible(timeout=TIMEOUT)  # the reader (st.text)
        page.get_by_role("tab", name="Label").click()
        expect(page.get_by_text(re.compile(r"random order · next:"))).to_be_visible(timeout=TIMEOUT)
        page.wait_for_timeout(1500)  # time for any image request to arrive
        assert page.locator(f'img[src^="{image}"]').count() == 0
        assert requests == []
        caption = page.get_by_text(re.compile(r"random order · next:")).inner_text()
        assert re.search(rf"next: !\[x\]\({re.escape(image)}/\d+\.png\)", caption), caption  # literal text
        expect(page.get_by_role("button", name=f"![v]({image}/value.png)").first).to_be_visible()
        context.close()
