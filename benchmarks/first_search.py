"""First search: from the map drawn in Chromium to the first search-by-meaning results shown.

What a curator waits for when the first thing they do on the map is a search: `loupe app -w
WS` started fresh (a new process, empty caches), a page opened in headless Chromium as soon as
the server answers its health check, and, the moment the map is drawn, a query typed into the
sidebar's Search box and Enter pressed; the clock stops when "20 results for “QUERY”" is on
screen. Before issue 12 the first search loaded the model (torch's import and the weights);
now `loupe app` starts loading it in the background before its server listens.

Per run, from the server's health check: page loaded, map drawn; from the map drawn: the
first search's results shown; then a second, different query (warm) for comparison. A fresh
server per run. `--app-root` measures another checkout's app (e.g. the commit before this
change, extracted with `git archive COMMIT | tar -x -C DIR`): its `loupe app` runs with that
checkout first on PYTHONPATH. The workspace is `loupe demo`'s (`synthetic.demo_workspace`).

    .venv/bin/python benchmarks/first_search.py                       # 5,000 documents, 3 runs
    .venv/bin/python benchmarks/first_search.py --app-root /tmp/before --runs 3
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.app_browser import OUT, Server, chromium, open_page  # noqa: E402
from benchmarks.results import commit, write_result  # noqa: E402
from benchmarks.synthetic import demo_workspace  # noqa: E402

QUERIES = ("read a configuration file", "parse a date from a string")  # first (cold), second (warm)
TIMEOUT_S = 300


def search(page, query: str) -> float:
    """Type `query` into the sidebar's Search box, press Enter; seconds until its results show."""
    box = page.get_by_test_id("stSidebar").get_by_label("Search", exact=True)
    box.fill(query)
    started = time.perf_counter()
    box.press("Enter")
    page.get_by_text(f"results for “{query}”").wait_for(state="visible", timeout=TIMEOUT_S * 1000)
    return time.perf_counter() - started


def one_run(workspace: Path, browser, app_root: Path, log: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(app_root), os.environ.get("PYTHONPATH", "")])}
    knows_flag = "--no-browser" in (app_root / "app" / "cli" / "serve.py").read_text()
    with Server(workspace, log, flags=["--no-browser"] if knows_flag else [], env=env) as server:
        ready = server.wait_ready(TIMEOUT_S)
        seconds, points, page, timeline = open_page(browser, server, ready, TIMEOUT_S)
        first = search(page, QUERIES[0])
        second = search(page, QUERIES[1])
        page.context.close()
    return {**timeline, "points": points, "first_search_s": round(first, 2), "second_search_s": round(second, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5000, help="demo corpus size (default 5000, as `loupe demo`)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--app-root", default=str(ROOT), help="the checkout whose app is measured (default: this one)")
    parser.add_argument("--out", help="the JSON result (default benchmarks/out/first_search.json)")
    args = parser.parse_args()
    app_root = Path(args.app_root).resolve()
    workspace, built = demo_workspace(args.docs, args.seed)
    runs = []
    with chromium() as browser:
        for run in range(args.runs):
            result = one_run(workspace, browser, app_root, OUT / "first-search-server.log")
            runs.append(result)
            print(f"run {run + 1}: map drawn {result['map_drawn_s']:.2f} s after ready; first search "
                  f"{result['first_search_s']:.2f} s after the map; second {result['second_search_s']:.2f} s", flush=True)
    median = {key: round(statistics.median(r[key] for r in runs), 2)
              for key in ("map_drawn_s", "first_search_s", "second_search_s")}
    print(f"median of {len(runs)}: map drawn {median['map_drawn_s']:.2f} s after the server was ready, first search "
          f"results {median['first_search_s']:.2f} s after the map, a second search {median['second_search_s']:.2f} s")
    write_result("first_search", {"app_root": str(app_root), "commit": commit(app_root), "docs": args.docs,
                                  "workspace": {"path": str(workspace), **built}, "queries": QUERIES,
                                  "median": median, "runs": runs, "load_average": os.getloadavg()}, args.out)


if __name__ == "__main__":
    main()
