"""The app benchmark's browser measurements (bars 3 and 4 of `app.py`): `loupe app` as a real
server, its process tree's memory polled, pages opened in headless Chromium (Playwright)
until the map is drawn, a slider dragged, a second tab opened; and the demo workspace's
first page, a fresh server per run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from benchmarks.app_in_process import APP_SCRIPT, MOVED_COLUMN, ROOT

OUT = ROOT / "benchmarks" / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
POLL_SECONDS = 0.05
SLIDER_DRAG_PX = 1  # the browser drags the low thumb by a pixel: the slider is linear over a long
# tail, so even that removes many documents


# The map is drawn when the plot holds the "documents" Scattergl trace with its points and
# its WebGL canvas exists; two animation frames later the frame with it has been painted.
MAP_DRAWN_JS = """() => {
  for (const gd of document.querySelectorAll('.js-plotly-plot')) {
    const map = (gd._fullData || []).find(t => t.type === 'scattergl' && t.name === 'documents');
    if (map && map._length > 0 && gd._fullLayout && gd._fullLayout._glcanvas && gd.querySelector('canvas'))
      return map._length;
  }
  return false;
}"""
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
SCRIPT_IDLE_JS = "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState === 'notRunning'"
KEPT_CAPTION_JS = """() => Array.from(document.querySelectorAll('[data-testid=stSidebar] [data-testid=stCaptionContainer]'))
  .map(e => e.innerText).find(t => t.startsWith('kept')) || null"""


COLD_RUN = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest  # the server has imported streamlit before it is ready
started = time.perf_counter()
import app.data, app.sidebar, app.tabs.export, app.tabs.filters, app.tabs.label, app.tabs.map, indexing.workspace.lock
imported = time.perf_counter()
test = AppTest.from_file({script!r}, default_timeout=600)
test.run()
print(json.dumps({{"imports_s": imported - started, "first_run_s": time.perf_counter() - imported,
                  "error": str(test.exception[0].value) if test.exception else None}}))
"""


def cold_first_run(workspace: Path) -> dict:
    """What the server does for the first page after it is ready, in a fresh process: import
    the app's modules, then run the script once (AppTest) with empty caches."""
    code = COLD_RUN.format(root=str(ROOT), script=str(APP_SCRIPT))
    env = {**os.environ, "LOUPE_WORKSPACE": str(workspace)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}




def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`loupe app` as a curator starts it (it execs the Streamlit server), in its own process
    group, the RSS of its process tree polled."""

    def __init__(self, workspace: Path, log: Path, flags: list[str] | None = None, env: dict | None = None):
        self.workspace, self.log = workspace, log
        self.flags = ["--no-browser"] if flags is None else flags  # never a browser window on a desktop
        self.env = env
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.peak_tree = self.peak_process = 0
        self._stop = threading.Event()

    def __enter__(self) -> "Server":
        import psutil

        loupe = Path(sys.executable).with_name("loupe")
        env = {k: v for k, v in (self.env or os.environ).items() if k != "LOUPE_WORKSPACE"}
        self._log = open(self.log, "w")
        self.process = subprocess.Popen([str(loupe), "app", "-w", str(self.workspace), "--port", str(self.port),
                                         *self.flags],
                                        stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self._root = psutil.Process(self.process.pid)
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()
        return self

    def _poll(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for p in processes:
                try:
                    sizes.append(p.memory_info().rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak_tree = max(self.peak_tree, sum(sizes))
            self.peak_process = max(self.peak_process, max(sizes, default=0))
            time.sleep(POLL_SECONDS)

    def wait_ready(self, timeout: float) -> float:
        """perf_counter() when /_stcore/health first answered ok."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`loupe app` exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=1) as answer:
                    if answer.read().strip() == b"ok":
                        return time.perf_counter()
            except OSError:
                pass
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"the server was not healthy within {timeout} s; see {self.log}")

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._poller.join()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the process group this server started
            self.process.wait(20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _check_page(page) -> None:
    error = page.locator("[data-testid=stException]")
    if error.count():
        raise RuntimeError("the app shows an exception: " + error.first.inner_text()[:500])


def wait_for_map(page, timeout: float, previous: int | None = None) -> int:
    """Block until the map is drawn (with a point count other than `previous`); its points."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        handle = page.wait_for_function(MAP_DRAWN_JS, timeout=max(1, deadline - time.perf_counter()) * 1000,
                                        polling=50)
        points = handle.json_value()
        if points != previous:
            page.evaluate(TWO_FRAMES_JS)
            return points
        _check_page(page)
        page.wait_for_timeout(50)
    raise TimeoutError(f"the map was not redrawn within {timeout} s")


def open_page(browser, server: Server, ready: float, timeout: float, screenshot: Path | None = None):
    """A fresh page (a new session) -> (seconds from `ready` to the map drawn, points drawn,
    the page, a timeline: page loaded, first script run finished, map drawn)."""
    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.goto(server.url)
    loaded = time.perf_counter() - ready
    try:
        page.wait_for_function(f"() => ({SCRIPT_IDLE_JS})() || ({MAP_DRAWN_JS})()", timeout=timeout * 1000,
                               polling=50)
        script = time.perf_counter() - ready
        points = wait_for_map(page, timeout)
    except Exception:
        _check_page(page)
        raise
    seconds = time.perf_counter() - ready
    _check_page(page)
    if screenshot:
        page.screenshot(path=str(screenshot))
    timeline = {"page_loaded_s": round(loaded, 2), "script_finished_s": round(script, 2),
                "map_drawn_s": round(seconds, 2)}
    return seconds, points, page, timeline


def move_slider(page, timeout: float) -> dict:
    """Drag the low thumb of the tokens slider (Filters tab) a little to the right; seconds
    from the release to the new counts in the sidebar, to the script idle, and (back on the
    Map tab) to the map redrawn with the kept documents."""
    page.get_by_role("tab", name="Filters").click()
    # The thumb is the element around the visually hidden <input type=range> of its side.
    thumb = page.get_by_role("slider", name=f"{MOVED_COLUMN} — start").locator("xpath=../..")
    thumb.scroll_into_view_if_needed()
    box = thumb.bounding_box()
    before = page.evaluate(KEPT_CAPTION_JS)
    points_before = page.evaluate(MAP_DRAWN_JS)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + SLIDER_DRAG_PX, y, steps=4)
    released = time.perf_counter()
    page.mouse.up()
    page.wait_for_function(f"before => ({KEPT_CAPTION_JS})() !== before", arg=before,
                           timeout=timeout * 1000, polling=50)
    counts = time.perf_counter() - released
    page.wait_for_function(SCRIPT_IDLE_JS, timeout=timeout * 1000, polling=50)
    idle = time.perf_counter() - released
    page.get_by_role("tab", name="Map").click()
    points = wait_for_map(page, timeout, previous=points_before)
    drawn = time.perf_counter() - released
    _check_page(page)
    return {"counts_shown_s": round(counts, 2), "script_idle_s": round(idle, 2), "map_redrawn_s": round(drawn, 2),
            "kept_caption": page.evaluate(KEPT_CAPTION_JS), "points_drawn": points}


def serve_big(root: Path, timeout: float) -> dict:
    """Bar 3: the server's peak memory while a page opens, a slider moves and a second tab
    opens (a second session); also the time to the map at this size, cold and warm."""
    log = OUT / "app-server-big.log"
    with chromium() as browser, Server(root, log) as server:
        ready = server.wait_ready(timeout)
        peaks = {"server ready": server.peak_tree}
        seconds, points, page, timeline = open_page(browser, server, ready, timeout, OUT / "app-big-map.png")
        peaks["map drawn"] = server.peak_tree
        print(f"  map drawn {seconds:.1f} s after the server was ready ({points:,} points)", flush=True)
        slider = move_slider(page, timeout)
        peaks["slider moved"] = server.peak_tree
        page.screenshot(path=str(OUT / "app-big-after-move.png"))
        print(f"  slider moved: new counts after {slider['counts_shown_s']} s, map redrawn after "
              f"{slider['map_redrawn_s']} s", flush=True)
        warm, _, second, _ = open_page(browser, server, time.perf_counter(), timeout)
        peaks["second tab drawn"] = server.peak_tree
        print(f"  a second tab drew the map in {warm:.1f} s", flush=True)
        for tab in (page, second):
            tab.context.close()
    return {
        "time_to_map_s": round(seconds, 2),
        "timeline": timeline,
        "points_drawn": points,
        "slider": slider,
        "second_tab_time_to_map_s": round(warm, 2),
        "peak_tree_rss_bytes": server.peak_tree,
        "peak_largest_process_rss_bytes": server.peak_process,
        "peak_tree_rss_by_phase_bytes": peaks,
        "server_log": str(log),
    }


def serve_demo(root: Path, runs: int, timeout: float) -> dict:
    """Bar 4: health ok -> map drawn on the demo workspace, a fresh server and page each run."""
    times, timelines, peaks = [], [], []
    with chromium() as browser:
        for run in range(runs):
            with Server(root, OUT / "app-server-demo.log") as server:
                ready = server.wait_ready(timeout)
                seconds, points, page, timeline = open_page(browser, server, ready, timeout,
                                                            OUT / "app-demo-map.png" if run == 0 else None)
                page.context.close()
            times.append(seconds)
            timelines.append(timeline)
            peaks.append(server.peak_tree)
            print(f"  run {run + 1}: map drawn {seconds:.2f} s after ready ({points:,} points); {timeline}", flush=True)
    return {"time_to_map_s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2),
            "timelines": timelines, "points_drawn": points, "peak_tree_rss_bytes": max(peaks),
            "server_side_first_run": cold_first_run(root)}
