"""Time to first map: from `loupe index` on 3,000 short documents to the map drawn in a browser.

What a new user waits for before they can look at their corpus, as they would do it:

1. `loupe index CORPUS -w WS --id-field id [--preview]` in a new process (its wall time, and
   the stage times it recorded in workspace.json);
2. `loupe app -w WS` as a real server, until it answers its health check;
3. a page in headless Chromium, until the map's points are drawn (`app_browser.open_page`).

The total is (1) + (2) + (3). Runs, each on a fresh workspace:

* `full, cold cache`: the full model with an empty numba cache (NUMBA_CACHE_DIR in a fresh
  temporary folder): what the very first run on a machine pays, UMAP's compilation included;
* `full, warm cache`: the same again with that cache filled: every later run;
* `preview, warm cache`: `--preview` (the model2vec static model; its distillation done once
  before, timed apart, as after the first preview on the machine).

The corpus is the standard library's docstrings and function sources (indexing/demo_corpus.py,
3,000 records, median 187 characters).

    .venv/bin/python benchmarks/first_map.py                 # every run
    .venv/bin/python benchmarks/first_map.py --runs full-warm --docs 500
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.app_browser import OUT, Server, chromium, open_page  # noqa: E402
from benchmarks.results import write_result  # noqa: E402
from indexing.demo_corpus import stdlib_documents, write_jsonl  # noqa: E402

RUNS = {
    "full-cold": ([], "cold"),
    "full-warm": ([], "warm"),
    "preview-warm": (["--preview"], "warm"),
}
TIMEOUT_S = 1800


def _index(corpus: Path, workspace: Path, flags: list[str], env: dict) -> dict:
    loupe = Path(sys.executable).with_name("loupe")
    started = time.perf_counter()
    done = subprocess.run([str(loupe), "index", str(corpus), "-w", str(workspace), "--id-field", "id", *flags],
                          env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"loupe index failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    # the summary table's "time: <stage> | <seconds> s" rows (the report's, load model included)
    stages = {match[1].strip(): float(match[2].replace(",", ""))
              for match in re.finditer(r"time: ([\w ]+?)\s*\W\s*([\d,.]+) s", done.stdout + done.stderr)}
    return {"index_s": round(seconds, 2), "stages_s": stages}


def _browse(workspace: Path, browser) -> dict:
    started = time.perf_counter()
    with Server(workspace, OUT / "first-map-server.log") as server:
        ready = server.wait_ready(TIMEOUT_S)
        seconds, points, page, timeline = open_page(browser, server, ready, TIMEOUT_S)
        page.context.close()
    return {"server_ready_s": round(ready - started, 2), "map_drawn_after_ready_s": round(seconds, 2),
            "points": points, "timeline": timeline}


def measure(corpus: Path, name: str, numba_dir: Path, browser) -> dict:
    flags, cache = RUNS[name]
    if cache == "cold":
        for entry in numba_dir.glob("**/*"):
            if entry.is_file():
                entry.unlink()
    env = {**os.environ, "NUMBA_CACHE_DIR": str(numba_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with tempfile.TemporaryDirectory(prefix="loupe-first-map-") as tmp:
        workspace = Path(tmp) / "ws"
        indexed = _index(corpus, workspace, flags, env)
        browsed = _browse(workspace, browser)
    total = indexed["index_s"] + browsed["server_ready_s"] + browsed["map_drawn_after_ready_s"]
    return {"run": name, "total_s": round(total, 2), **indexed, **browsed}


def distil_once(env: dict) -> float:
    """Seconds to distil the preview model into the cache (what the first preview on a machine
    pays once per model; 0 when it was already cached), in a process of its own."""
    code = ("import time; from indexing.vectors.embedder import DEFAULT_MODEL; "
            "from indexing.vectors.preview import cached_model; "
            "t = time.perf_counter(); cached_model(DEFAULT_MODEL); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                          cwd=HERE.parent)
    if done.returncode != 0:
        raise RuntimeError(f"distilling the preview failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated, of {', '.join(RUNS)}")
    args = parser.parse_args()
    names = [n.strip() for n in args.runs.split(",") if n.strip()]
    unknown = set(names) - set(RUNS)
    if unknown:
        parser.error(f"unknown run(s): {', '.join(sorted(unknown))}")
    OUT.mkdir(exist_ok=True)
    docs = stdlib_documents(args.docs)
    results = []
    with tempfile.TemporaryDirectory(prefix="loupe-first-map-corpus-") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_jsonl(docs, corpus)
        numba_dir = Path(tmp) / "numba"
        numba_dir.mkdir()
        distil_s = None
        if any(RUNS[name][0] for name in names):
            distil_s = round(distil_once({**os.environ, "HF_HUB_OFFLINE": "1"}), 2)
            print(f"preview model in the cache: {distil_s:.1f} s (distilled now, or 0 when it was cached)")
        with chromium() as browser:
            for name in names:
                print(f"{name} ...", flush=True)
                result = measure(corpus, name, numba_dir, browser)
                results.append(result)
                print(f"  {result['total_s']:.1f} s to the map: index {result['index_s']:.1f} s "
                      f"(load model {result['stages_s'].get('load model', 0):.1f}, embed "
                      f"{result['stages_s'].get('embed', 0):.1f}, project {result['stages_s'].get('project', 0):.1f}), "
                      f"server {result['server_ready_s']:.1f} s, map drawn {result['map_drawn_after_ready_s']:.1f} s "
                      "after ready", flush=True)
    print("\n| run | to the map | loupe index | embed | project | app ready | map drawn |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        s = r["stages_s"]
        print(f"| {r['run']} | {r['total_s']:.1f} s | {r['index_s']:.1f} s | {s.get('embed', 0):.1f} s | "
              f"{s.get('project', 0):.1f} s | {r['server_ready_s']:.1f} s | {r['map_drawn_after_ready_s']:.1f} s |")
    write_result("first_map", {"docs": len(docs), "median_chars": statistics.median(len(d["text"]) for d in docs),
                               "load_average": os.getloadavg(), "preview_distil_s": distil_s,
                               "runs": results})


if __name__ == "__main__":
    main()
