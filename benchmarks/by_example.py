"""Search by example at scale: the time and memory of `more_like` and `least_like`.

Bar (issue 12, point 4; printed with PASS/FAIL, never asserted): "least like these" works on a
million rows within memory. Its pass over the filtered vectors holds one batch at a time, so
the memory it adds must stay a small share of the whole vector matrix: at most a quarter of it.
Baseline: the naive least-like, which reads the whole matrix (`stored.read_vectors`) and ranks
it. Both are reported as the memory they add and as a ratio to the matrix's size.

Each measurement runs in a fresh process (spawn), after the workspace is opened and the FAISS
index loaded (the app holds it; `more_like` needs it, and `least_like` scores the vectors the
flat or HNSW index already holds); memory is the peak RSS, sampled every 5 ms, above the RSS
before the call. The
workspace is the classify benchmark's synthetic one (`benchmarks/classify.py`: the real storage
layers and schema, random 384-d unit vectors around one direction per cluster, cached in
`benchmarks/out/classify-<rows>/`); examples are whole clusters' members (10: part of one
cluster, as a curator's few seeds; 5,000: several clusters, past `ASK_PAST`).

    .venv/bin/python benchmarks/by_example.py                 # 1,000,000 rows
    .venv/bin/python benchmarks/by_example.py --rows 200k     # a smaller machine
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

BAR_SHARE = 0.25  # the most memory least_like may add, as a share of the whole vector matrix
K = 20


def _peak_above(start: int, stop: threading.Event, out: list) -> None:
    import psutil

    process, peak = psutil.Process(), start
    while not stop.is_set():
        peak = max(peak, process.memory_info().rss)
        time.sleep(0.005)
    out.append(peak - start)


def _measure(root: str, kind: str, examples: int, seed: int, queue) -> None:
    """One call in this (fresh) process: (seconds, bytes added at peak)."""
    import numpy as np
    import psutil

    from indexing import Workspace
    from indexing.vectors import stored

    ws = Workspace.open(root)
    ws.vector_index()
    clusters = ws.docs(columns=["id", "cluster"])
    cluster = clusters["cluster"].to_numpy()
    order = np.argsort(cluster, kind="stable")  # the examples: the first clusters' members, cluster by cluster
    chosen = np.random.default_rng(seed).permutation(order[:examples])
    ids = clusters["id"].take(chosen).to_pylist()
    half = clusters["id"].to_pylist()[::2] if kind == "least_like_half" else None
    del clusters
    calls = {
        "more_like": lambda: ws.more_like(ids, k=K, columns=["id"]),
        "least_like": lambda: ws.least_like(ids, k=K, columns=["id"]),
        "least_like_half": lambda: ws.least_like(ids, k=K, columns=["id"], ids=half),
        "naive_least_like": lambda: _naive(ws, ids, stored),
    }
    stop, out = threading.Event(), []
    sampler = threading.Thread(target=_peak_above, args=(psutil.Process().memory_info().rss, stop, out))
    sampler.start()
    started = time.perf_counter()
    calls[kind]()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    queue.put((seconds, out[0]))


def _naive(ws, ids, stored):
    """The baseline: the whole matrix in memory, ranked against the centroid."""
    import numpy as np

    from indexing.curate.by_example import centroid

    all_ids, matrix = stored.read_vectors(ws.store)
    scores = matrix @ centroid(ws, ids)
    return all_ids.take(np.argsort(scores)[:K]).to_pylist()


def run(root: Path, kind: str, examples: int, seed: int) -> tuple[float, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(str(root), kind, examples, seed, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    import benchmarks.classify as classify
    import benchmarks.synthetic as synthetic
    from benchmarks.results import write_result

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="1m", help="rows of the synthetic workspace (1m, 200k, ...)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    rows = synthetic.parse_size(args.rows)
    root, built = classify.workspace(rows, args.seed, args.rebuild)
    matrix_bytes = rows * 384 * 4
    figures = {}
    for kind, examples in (("more_like", 10), ("more_like", 5_000), ("least_like", 10), ("least_like", 5_000),
                           ("least_like_half", 10), ("naive_least_like", 10)):
        seconds, added = run(root, kind, examples, args.seed)
        name = f"{kind}_{examples}"
        figures[name] = {"seconds": round(seconds, 3), "added_bytes": added,
                         "share_of_matrix": round(added / matrix_bytes, 3)}
        print(f"{name:24s} {seconds:8.2f} s  {added / 1e6:8.0f} MB added  "
              f"({added / matrix_bytes:.2f} of the {matrix_bytes / 1e9:.2f} GB matrix)", flush=True)
    share = figures["least_like_10"]["share_of_matrix"]
    passed = share <= BAR_SHARE
    print(f"bar: least_like adds at most {BAR_SHARE:.0%} of the matrix: {share:.0%} "
          f"(naive: {figures['naive_least_like_10']['share_of_matrix']:.0%}) {'PASS' if passed else 'FAIL'}")
    write_result("by_example", {"rows": rows, "dimension": 384, "k": K, "matrix_bytes": matrix_bytes,
                                "workspace": built, "figures": figures, "bar_share": BAR_SHARE,
                                "least_like_share": share, "passed": passed})


if __name__ == "__main__":
    main()
