"""The first page's column read (`app.data.read_corpus`), for one or more checkouts of the app.

`read_corpus` is what the first page of `loupe app` waits for (preload does it before the
server listens, a new `loupe index` makes the page do it again). Before issue 12 it also made
a histogram and a histogram-bin index of every numeric column, which only the Filters tab
draws; now each is made when first drawn. Each run is a fresh process that imports the
checkout's `app.data` and times `read_corpus` on the workspace; checkouts alternate, so a busy
machine's noise falls on both. Also timed in that process: the first threshold evaluation
(`current_filter`'s engine call, no rules), which the map needs whichever tab is open.

    .venv/bin/python benchmarks/corpus_read.py --app-root /tmp/before --app-root . --runs 3
    (default workspace: benchmarks/out/app-1m, the million-row one `benchmarks/app.py` builds)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.results import OUT, commit, write_result  # noqa: E402

RUN = """
import json, sys, time
sys.path.insert(0, {root!r})
from app import data
from indexing import Workspace
from indexing.curate.thresholds import evaluate
workspace = Workspace.open({workspace!r})
started = time.perf_counter()
corpus = data.read_corpus(workspace)
read = time.perf_counter() - started
started = time.perf_counter()
evaluate([], corpus.values_of, corpus.tokens, corpus.bins_of)
print(json.dumps({{"read_corpus_s": read, "first_evaluate_s": time.perf_counter() - started,
                  "rows": corpus.size, "numeric_columns": len(corpus.values_of)}}))
"""


def one_run(app_root: Path, workspace: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(app_root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", RUN.format(root=str(app_root), workspace=str(workspace))],
                          env=env, capture_output=True, text=True, check=True, cwd=app_root)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", default=str(OUT / "app-1m"))
    parser.add_argument("--app-root", action="append", help="a checkout to measure (repeat; default this one)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    roots = [Path(r).resolve() for r in (args.app_root or [str(ROOT)])]
    runs: dict[str, list[dict]] = {str(r): [] for r in roots}
    for run in range(args.runs):
        for root in roots:
            figures = one_run(root, Path(args.workspace))
            runs[str(root)].append(figures)
            print(f"run {run + 1}, {root}: read_corpus {figures['read_corpus_s']:.2f} s, first evaluate "
                  f"{figures['first_evaluate_s']:.3f} s ({figures['rows']:,} rows, {figures['numeric_columns']} "
                  "numeric columns)", flush=True)
    result = {"workspace": args.workspace, "checkouts": {}}
    for root, figures in runs.items():
        median = {k: round(statistics.median(f[k] for f in figures), 3) for k in ("read_corpus_s", "first_evaluate_s")}
        result["checkouts"][root] = {"commit": commit(Path(root)), "median": median, "runs": figures}
        print(f"{root} ({commit(Path(root))}): median read_corpus {median['read_corpus_s']:.2f} s, first evaluate "
              f"{median['first_evaluate_s']:.3f} s")
    result["load_average"] = os.getloadavg()
    write_result("corpus_read", result)


if __name__ == "__main__":
    main()
