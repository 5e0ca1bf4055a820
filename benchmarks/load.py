"""Load: 10 app sessions at once on a large workspace, moving thresholds and searching.

Bars (issue 8, section 2, point 4; printed with PASS/FAIL, never asserted):

1. p95 server time per interaction under 1 s, with all sessions interacting at once;
2. memory per added session under 300 MB.

How each is measured:

* Server time: each session is Streamlit's ``AppTest`` running ``app/streamlit_app.py``
  (the whole page, every tab, exactly what a server reruns for a browser), one session per
  process so the sessions really run at the same time. Every session first runs the page once
  (cold: it loads the workspace's columns into its process's cache; reported, not counted),
  then all wait on one barrier and each does ``--interactions`` interactions, alternating a
  threshold move (the ``tokens`` slider set to a random cut) and a search (a random word of
  the corpus, by meaning then by keyword, within the filter, as the sidebar does). The time of
  one interaction is the wall time of ``AppTest.run()``: the rerun the server does before it
  sends the page (no network, no browser drawing). p50/p95 are over all sessions' interactions.
* Memory per session: a real server runs every session in ONE process and shares the map
  columns (``st.cache_resource``) among them, so what a session adds is its own state, not a
  copy of the corpus. One fresh process adds sessions one by one (each: first run, a threshold
  move, a search; all kept alive) and records its RSS after each; the cost of an added session
  is the RSS growth per session from the 2nd to the last (the 1st also loads the shared cache,
  reported apart). The per-process RSS of the concurrent phase (each holds its own cache) is
  reported too, but is not the per-session figure.

The workspace is ``benchmarks/app.py``'s synthetic one (the real storage layers and schema,
random vectors; cached in ``benchmarks/out/app-<rows>/``). On a machine shared with other
work the times are upper bounds; the result records the load average before and after.

    .venv/bin/python benchmarks/load.py                          # 1,000,000 rows, 10 sessions
    .venv/bin/python benchmarks/load.py --rows 200k              # a smaller machine (~4 GB RAM)
    .venv/bin/python benchmarks/load.py --rows 50k --sessions 3 --interactions 4   # a quick check

At 1M rows each session process of the concurrent phase holds ~1.5 GB (its own copy of the
map columns), so 10 sessions need ~16 GB of RAM; ``--rows 200k`` needs ~4 GB.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import gc
import importlib.util
import json
import multiprocessing
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))  # before benchmarks/: `app` is the package, not benchmarks/app.py

APP_SCRIPT = ROOT / "app" / "streamlit_app.py"
BAR_P95_SECONDS = 1.0
BAR_SESSION_BYTES = 300_000_000
SLIDER = "rule_tokens"
RUN_TIMEOUT = 900


def _bench_app():
    """benchmarks/app.py as a module (its synthetic workspace builder)."""
    spec = importlib.util.spec_from_file_location("loupe_bench_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


class Session:
    """One app session (an AppTest), and its interactions."""

    def __init__(self, workspace: Path, words: list[str], seed: int):
        from streamlit.testing.v1 import AppTest

        os.environ["LOUPE_WORKSPACE"] = str(workspace)
        self.app = AppTest.from_file(str(APP_SCRIPT), default_timeout=RUN_TIMEOUT)
        self.words = words
        self.random = random.Random(seed)
        self.searches = 0

    def run(self) -> float:
        started = time.perf_counter()
        self.app.run()
        spent = time.perf_counter() - started
        if self.app.exception:
            raise RuntimeError(f"the app raised: {self.app.exception[0].value}")
        return spent

    def move_threshold(self) -> float:
        slider = self.app.slider(key=SLIDER)
        low, high = slider.min, slider.max
        cut = low + int(self.random.random() * 0.05 * (high - low))  # the bulk of a long tail
        slider.set_value((cut, high))
        return self.run()

    def search(self) -> float:
        self.searches += 1
        self.app.radio(key="mode").set_value("meaning" if self.searches % 2 else "keyword")
        self.app.text_input(key="query").input(self.random.choice(self.words))
        return self.run()

    def interact(self, number: int) -> tuple[str, float]:
        if number % 2 == 0:
            return "threshold", self.move_threshold()
        return "search", self.search()


def _quiet() -> None:
    """No "missing ScriptRunContext" warning per widget (as benchmarks/app.py silences them)."""
    import logging

    import streamlit.runtime.scriptrunner_utils.script_run_context as context
    import streamlit.runtime.state.session_state_proxy as proxy

    for module in (context, proxy):
        logging.getLogger(module.__name__).disabled = True


def concurrent_session(workspace: str, words: list[str], seed: int, interactions: int, barrier, queue) -> None:
    _quiet()
    try:
        session = Session(Path(workspace), words, seed)
        first = session.run()
        rss_warm = _rss()
        barrier.wait()
        started = time.perf_counter()
        times = [session.interact(i) for i in range(interactions)]
        queue.put({"seed": seed, "first_run_s": first, "rss_after_first_run": rss_warm, "rss_end": _rss(),
                   "wall_s": time.perf_counter() - started, "interactions": times})
    except BaseException as error:  # reported to the parent, which stops the benchmark
        try:
            barrier.abort()
        except Exception:
            pass
        queue.put({"seed": seed, "error": f"{type(error).__name__}: {error}"})


def concurrent_phase(workspace: Path, words: list[str], sessions: int, interactions: int) -> dict:
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(sessions), context.Queue()
    processes = [context.Process(target=concurrent_session, args=(str(workspace), words, seed, interactions,
                                                                  barrier, queue)) for seed in range(sessions)]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError("a session failed: " + errors[0])
    times = {kind: [t for r in results for k, t in r["interactions"] if k == kind] for kind in ("threshold", "search")}
    every = times["threshold"] + times["search"]
    return {
        "sessions": sessions,
        "interactions_per_session": interactions,
        "all": _percentiles(every),
        "threshold": _percentiles(times["threshold"]),
        "search": _percentiles(times["search"]),
        "first_run_s": _percentiles([r["first_run_s"] for r in results]),
        "process_rss_after_first_run_bytes": [r["rss_after_first_run"] for r in results],
        "process_rss_end_bytes": [r["rss_end"] for r in results],
        "wall_s": max(r["wall_s"] for r in results),
    }


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]

    return {"n": len(ordered), "p50_s": round(statistics.median(ordered), 3), "p95_s": round(at(0.95), 3),
            "max_s": round(ordered[-1], 3), "mean_s": round(statistics.fmean(ordered), 3)}


def memory_process(workspace: str, words: list[str], sessions: int, queue) -> None:
    """Sessions added one by one to one process (as a server holds them); RSS after each."""
    _quiet()
    try:
        import streamlit.testing.v1  # noqa: F401  (imported before the baseline)

        gc.collect()
        baseline = _rss()
        kept, after = [], []
        for seed in range(sessions):
            session = Session(Path(workspace), words, 1000 + seed)
            session.run()
            session.move_threshold()
            session.search()
            kept.append(session)
            gc.collect()
            after.append(_rss())
        queue.put({"baseline": baseline, "after_each": after})
    except BaseException as error:
        queue.put({"error": f"{type(error).__name__}: {error}"})


def memory_phase(workspace: Path, words: list[str], sessions: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=memory_process, args=(str(workspace), words, sessions, queue))
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise RuntimeError("the memory phase failed: " + result["error"])
    after = result["after_each"]
    added = [b - a for a, b in zip(after, after[1:])]
    return {
        "sessions": sessions,
        "baseline_rss_bytes": result["baseline"],
        "rss_after_each_session_bytes": after,
        "first_session_bytes": after[0] - result["baseline"],
        "added_session_bytes": added,
        "per_added_session_bytes": int((after[-1] - after[0]) / max(1, sessions - 1)),
        "max_added_session_bytes": max(added) if added else None,
    }


def corpus_words(workspace: Path, count: int = 200, seed: int = 0) -> list[str]:
    """Words of the corpus's first texts: searches that find something by keyword."""
    from indexing import Workspace

    texts = Workspace.open(workspace).store.table("docs").to_lance().head(500, columns=["text"])
    words = sorted({w.strip(".") for t in texts.column("text").to_pylist() for w in t.split() if len(w) > 3})
    return random.Random(seed).sample(words, min(count, len(words)))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def print_table(result: dict) -> None:
    rule = "-" * 96
    load = result["concurrent"]
    memory = result["memory"]
    print(rule)
    print(f"{'bar':<4}{'what':<58}{'figure':>16}{'limit':>10}")
    print(rule)
    for row in result["bars"]:
        print(f"{row['bar']:<4}{row['what']:<58}{row['figure']:>16}{row['limit']:>10}  {'PASS' if row['pass'] else 'FAIL'}")
    print(rule)
    for kind in ("threshold", "search", "all"):
        figures = load[kind]
        print(f"{kind:<10} n={figures['n']:<4} p50 {figures['p50_s']:.2f} s   p95 {figures['p95_s']:.2f} s   "
              f"max {figures['max_s']:.2f} s   mean {figures['mean_s']:.2f} s")
    print(f"first run per session (cold, own cache): p50 {load['first_run_s']['p50_s']:.1f} s, "
          f"max {load['first_run_s']['max_s']:.1f} s; concurrent phase {load['wall_s']:.0f} s")
    print(f"one process, sessions added: baseline {memory['baseline_rss_bytes'] / 1e6:,.0f} MB, first session "
          f"+{memory['first_session_bytes'] / 1e6:,.0f} MB (loads the shared columns), then +"
          + ", +".join(f"{b / 1e6:,.0f}" for b in memory["added_session_bytes"]) + " MB")
    print(f"concurrent phase, per-process RSS (each its own cache): "
          f"{statistics.median(load['process_rss_end_bytes']) / 1e6:,.0f} MB median")
    print(f"rows {result['rows']:,}; cpus {result['machine']['cpu_count']}; load average before "
          f"{result['load_average_before']}, after {result['load_average_after']}")


def main(argv: list[str] | None = None) -> None:
    bench = _bench_app()
    from indexing.clustering import choose_k

    parser = argparse.ArgumentParser(description="Ten app sessions at once on a large workspace")
    parser.add_argument("--rows", type=bench._size, default=1_000_000, help="rows (default 1,000,000; 200k works)")
    parser.add_argument("--sessions", type=int, default=10, help="simultaneous sessions (default 10)")
    parser.add_argument("--interactions", type=int, default=10, help="interactions per session (default 10)")
    parser.add_argument("--memory-sessions", type=int, help="sessions added in the memory phase (default --sessions)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic workspace")
    parser.add_argument("--out", default=str(OUT / "load.json"), help="the JSON result")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    clusters = choose_k(args.rows)
    workspace, built = bench.synthetic_workspace(args.rows, clusters, args.seed, args.rebuild)
    words = corpus_words(workspace, seed=args.seed)
    result = {"benchmark": "load", "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "rows": args.rows, "clusters": clusters, "commit": bench._commit(),
              "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                          "python": platform.python_version()},
              "workspace": {"path": str(workspace), **built}, "load_average_before": _load(),
              "bars_limits": {"p95_s": BAR_P95_SECONDS, "session_bytes": BAR_SESSION_BYTES}}
    print(f"memory: adding {args.memory_sessions or args.sessions} sessions to one process ...", flush=True)
    result["memory"] = memory_phase(workspace, words, args.memory_sessions or args.sessions)
    print(f"load: {args.sessions} sessions at once, {args.interactions} interactions each ...", flush=True)
    result["concurrent"] = concurrent_phase(workspace, words, args.sessions, args.interactions)
    result["load_average_after"] = _load()
    every, memory = result["concurrent"]["all"], result["memory"]
    result["bars"] = [
        {"bar": 1, "what": f"p95 server time per interaction, {args.sessions} sessions at once",
         "figure": f"{every['p95_s']:.2f} s", "limit": f"< {BAR_P95_SECONDS:g} s", "pass": every["p95_s"] < BAR_P95_SECONDS},
        {"bar": 2, "what": "memory per added session (one process, mean)",
         "figure": f"{memory['per_added_session_bytes'] / 1e6:,.0f} MB", "limit": f"< {BAR_SESSION_BYTES / 1e6:g} MB",
         "pass": memory["per_added_session_bytes"] < BAR_SESSION_BYTES},
    ]
    print_table(result)
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
