"""Load: 10 app sessions at once on a large workspace, moving thresholds and searching.

Bars (issue 8, section 2, point 4; printed with PASS/FAIL, never asserted):

1. p95 server time per interaction under 1 s, with 10 sessions interacting at once;
2. memory per added session under 300 MB.

How each is measured (the model is a real Streamlit server):

* One process serves every session, as ``streamlit run`` does: each session is Streamlit's
  ``AppTest`` running ``app/streamlit_app.py`` in its own thread, and they share the
  process's ``st.cache_resource`` (the map columns, search results), as a server's sessions
  do. (AppTest sets a global runtime per run; here one runtime and one config patch serve
  every session, so that threads do not undo each other's.)
* A session is a curator: after its first page (cold; reported, not counted) it repeats
  open the Filters tab, move the ``tokens`` threshold twice (a cut in the long tail),
  open the Map tab, search twice (a word of the corpus, by meaning then by keyword,
  within the filter, as the sidebar does), starting at a different point of that cycle
  per session. Between two interactions a curator looks at the result: a think time drawn
  from an exponential distribution, mean ``--think`` seconds (2.5). The server time of an
  interaction is the wall time of ``AppTest.run()``: the rerun the server does before the
  page goes out (no network, no browser drawing), including any wait for the other
  sessions' reruns (one process, one GIL). p50/p95 per kind and over all interactions.
* The stress line (secondary): the same sessions with no think time (closed loop, each
  session reruns back to back), which is the worst a server can be asked.
* Memory per session: a fresh process adds sessions one by one (each: first page, a
  threshold, a search, all kept alive) and records its RSS after each; the cost of an added
  session is the mean growth per session from the 2nd to the last (the 1st loads the shared
  columns and is reported apart).

The workspace is the app benchmark's synthetic one (``benchmarks/synthetic.py``: the real
storage layers and schema, random vectors; cached in ``benchmarks/out/app-<rows>/``).
``--app-root`` measures another checkout's app (e.g. an older commit, extracted with
``git archive``) against the same workspace. On a machine shared with other work the times
are upper bounds; the result records the load average before and after.

    .venv/bin/python benchmarks/load.py                          # 1,000,000 rows, 10 sessions
    .venv/bin/python benchmarks/load.py --rows 200k              # a smaller machine (~3 GB RAM)
    .venv/bin/python benchmarks/load.py --sessions 1             # one session alone
    .venv/bin/python benchmarks/load.py --rows 50k --sessions 3 --interactions 6 --stress-interactions 0

At 1M rows the one process holds ~2 GB (the map columns once, shared by the sessions).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import gc
import multiprocessing
import random
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

BAR_P95_SECONDS = 1.0
BAR_SESSION_BYTES = 300_000_000
SLIDER = "rule_tokens"
PAGE = "page"  # app.session.PAGE: the open tab (an older app without tabs ignores it)
CYCLE = ("open Filters", "threshold", "threshold", "open Map", "search", "search")
OPEN_BEFORE = ("Map", "Filters", "Filters", "Filters", "Map", "Map")  # the tab open before each step
KINDS = ("threshold", "search", "open Filters", "open Map")
RUN_TIMEOUT = 900


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def one_server() -> None:
    """Make AppTests in many threads behave as the sessions of one server: one runtime and
    one config patch for all (AppTest sets and clears both around each run, so concurrent
    runs would clear each other's), one compiled page (as a server's script cache), and no
    "missing ScriptRunContext" warning per widget."""
    import logging
    from unittest.mock import MagicMock, patch

    import streamlit.runtime.scriptrunner_utils.script_run_context as context
    import streamlit.runtime.state.session_state_proxy as proxy
    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner
    from streamlit.testing.v1.util import build_mock_config_get_option

    for module in (context, proxy):
        logging.getLogger(module.__name__).disabled = True
    runtime = MagicMock(spec=Runtime)
    runtime.media_file_mgr = app_test.MediaFileManager(app_test.MemoryMediaFileStorage("/mock/media"))
    runtime.dataframe_source_mgr = app_test.DataframeSourceManager()
    runtime.cache_storage_manager = app_test.MemoryCacheStorageManager()
    components = app_test.BidiComponentManager()
    components.discover_and_register_components(start_file_watching=False)
    runtime.bidi_component_registry = components
    Runtime.instance = classmethod(lambda cls: runtime)
    Runtime.exists = classmethod(lambda cls: True)
    patch.object(config, "get_option", new=build_mock_config_get_option({"global.appTest": True})).start()
    app_test.patch_config_options = lambda overrides: _nothing()
    script_cache = ScriptCache()  # a server compiles the page once for every session; AppTest once a run
    local_script_runner.ScriptCache = lambda: script_cache


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Session:
    """One app session (an AppTest) and its interactions."""

    def __init__(self, app_script: Path, words: list[str], seed: int):
        from streamlit.testing.v1 import AppTest

        self.app = AppTest.from_file(str(app_script), default_timeout=RUN_TIMEOUT)
        self.words = words
        self.random = random.Random(seed)
        self.searches = 0
        self.phase = seed % len(CYCLE)

    def first_page(self) -> float:
        """The first page (the Map tab), then the tab its first step expects (not timed)."""
        spent = self.run()
        if OPEN_BEFORE[self.phase] != "Map":
            self.open(OPEN_BEFORE[self.phase])
        return spent

    def run(self) -> float:
        started = time.perf_counter()
        self.app.run()
        spent = time.perf_counter() - started
        if self.app.exception:
            raise RuntimeError(f"the app raised: {self.app.exception[0].value}")
        return spent

    def open(self, tab: str) -> float:
        self.app.session_state[PAGE] = tab
        return self.run()

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
        kind = CYCLE[(self.phase + number) % len(CYCLE)]
        if kind == "threshold":
            return kind, self.move_threshold()
        if kind == "search":
            return kind, self.search()
        return kind, self.open(kind.split()[1])


def sessions_at_once(app_script: Path, words: list[str], sessions: int, interactions: int,
                     think: float, warm: bool = False) -> dict:
    """`sessions` threads of one process, each a session doing `interactions` interactions
    with an exponential think time (mean `think` s; 0: back to back) before each. `warm`:
    the first session searches by meaning before the clock starts, so the model and the
    FAISS index are loaded (a server that has answered a search before these curators came)."""
    barrier = threading.Barrier(sessions)
    results: list[dict] = [{} for _ in range(sessions)]

    def session(seed: int) -> None:
        try:
            me = Session(app_script, words, seed)
            first = me.first_page()
            if warm and seed == 0:
                me.app.radio(key="mode").set_value("meaning")
                me.app.text_input(key="query").input(words[0])
                me.run()
            barrier.wait()
            started = time.perf_counter()
            times = []
            for number in range(interactions):
                if think:
                    time.sleep(me.random.expovariate(1 / think))
                times.append(me.interact(number))
            results[seed] = {"first_run_s": first, "wall_s": time.perf_counter() - started, "interactions": times}
        except BaseException as error:  # reported by the caller, which stops the benchmark
            barrier.abort()
            results[seed] = {"error": f"{type(error).__name__}: {error}"}

    threads = [threading.Thread(target=session, args=(seed,), name=f"session-{seed}") for seed in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError("a session failed: " + errors[0])
    every = [t for r in results for _, t in r["interactions"]]
    figures = {"sessions": sessions, "interactions_per_session": interactions, "think_mean_s": think,
               "all": _percentiles(every)}
    for kind in KINDS:
        figures[kind] = _percentiles([t for r in results for k, t in r["interactions"] if k == kind])
    figures["first_run_s"] = _percentiles([r["first_run_s"] for r in results])
    figures["wall_s"] = round(max(r["wall_s"] for r in results), 1)
    return figures


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]

    return {"n": len(ordered), "p50_s": round(statistics.median(ordered), 3), "p95_s": round(at(0.95), 3),
            "max_s": round(ordered[-1], 3), "mean_s": round(statistics.fmean(ordered), 3)}


def _serve(app_root: str, workspace: str) -> Path:
    """Make this fresh process one server of `app_root`'s app on `workspace`; its page script."""
    sys.path.insert(0, app_root)
    os.environ["LOUPE_WORKSPACE"] = workspace
    one_server()
    return Path(app_root) / "app" / "streamlit_app.py"


def load_process(app_root: str, workspace: str, words: list[str], args: dict, queue) -> None:
    """The load phases in one fresh process (one server): with think time, then closed loop."""
    try:
        script = _serve(app_root, workspace)
        result = {"think": sessions_at_once(script, words, args["sessions"], args["interactions"], args["think"],
                                            args["warm"])}
        result["rss_after_think_bytes"] = _rss()
        if args["stress_interactions"]:
            result["stress"] = sessions_at_once(script, words, args["sessions"], args["stress_interactions"], 0.0)
        result["rss_end_bytes"] = _rss()
        queue.put(result)
    except BaseException as error:
        queue.put({"error": f"{type(error).__name__}: {error}"})


def memory_process(app_root: str, workspace: str, words: list[str], sessions: int, queue) -> None:
    """Sessions added one by one to one process (as a server holds them); RSS after each."""
    try:
        script = _serve(app_root, workspace)
        gc.collect()
        baseline = _rss()
        kept, after = [], []
        for seed in range(sessions):
            session = Session(script, words, 1000 + seed)
            session.run()
            session.open("Filters")
            session.move_threshold()
            session.open("Map")
            session.search()
            kept.append(session)
            gc.collect()
            after.append(_rss())
        queue.put({"baseline": baseline, "after_each": after})
    except BaseException as error:
        queue.put({"error": f"{type(error).__name__}: {error}"})


def _in_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise RuntimeError(f"{target.__name__} failed: {result['error']}")
    return result


def memory_phase(app_root: Path, workspace: Path, words: list[str], sessions: int) -> dict:
    result = _in_process(memory_process, str(app_root), str(workspace), words, sessions)
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


def given_workspace(path: str) -> tuple[Path, dict]:
    """An existing workspace (real or benchmarks/scale.py's), with its rows and clusters."""
    from indexing import Workspace

    workspace = Workspace.open(path)
    info = workspace.info()
    if not info.get("ready"):
        raise SystemExit(f"{path} is not fully indexed: run `loupe index -w {path}` first")
    return workspace.root.resolve(), {"given": True, "rows": workspace.store.count(),
                                      "clusters": workspace.store.clusters().num_rows}


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _line(name: str, figures: dict) -> str:
    if not figures.get("n"):
        return f"  {name:<13} -"
    return (f"  {name:<13} n={figures['n']:<4} p50 {figures['p50_s']:.2f} s   p95 {figures['p95_s']:.2f} s   "
            f"max {figures['max_s']:.2f} s")


def print_table(result: dict) -> None:
    rule = "-" * 100
    think, memory = result["load"]["think"], result.get("memory")
    print(rule)
    print(f"{'bar':<4}{'what':<62}{'figure':>16}{'limit':>10}")
    print(rule)
    for row in result["bars"]:
        print(f"{row['bar']:<4}{row['what']:<62}{row['figure']:>16}{row['limit']:>10}  {'PASS' if row['pass'] else 'FAIL'}")
    print(rule)
    print(f"{think['sessions']} sessions at once, think time exponential mean {think['think_mean_s']:g} s, "
          f"{think['interactions_per_session']} interactions each ({think['wall_s']:.0f} s), "
          f"{'a warm server (model and index loaded)' if result.get('warm') else 'a cold server'}:")
    for kind in ("all", *KINDS):
        print(_line(kind, think[kind]))
    stress = result["load"].get("stress")
    if stress:
        print(f"stress (secondary): the same sessions back to back, no think time, "
              f"{stress['interactions_per_session']} interactions each ({stress['wall_s']:.0f} s):")
        for kind in ("all", *KINDS):
            print(_line(kind, stress[kind]))
    print(f"first page per session (not counted): p50 {think['first_run_s']['p50_s']:.1f} s, "
          f"max {think['first_run_s']['max_s']:.1f} s (the first one loads the shared columns)")
    if memory:
        print(f"one process, sessions added: baseline {memory['baseline_rss_bytes'] / 1e6:,.0f} MB, first session "
              f"+{memory['first_session_bytes'] / 1e6:,.0f} MB (loads the shared columns), then +"
              + ", +".join(f"{b / 1e6:,.0f}" for b in memory["added_session_bytes"]) + " MB")
    print(f"server process RSS at the end: {result['load']['rss_end_bytes'] / 1e6:,.0f} MB")
    print(f"app {result['app_root']} (commit {result['commit']}); rows {result['rows']:,}; "
          f"cpus {os.cpu_count()}; load average before {result['load_average_before']}, "
          f"after {result['load_average_after']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Ten app sessions at once on a large workspace")
    parser.add_argument("--rows", default="1m", help="rows (default 1m; 200k works)")
    parser.add_argument("--sessions", type=int, default=10, help="simultaneous sessions (default 10)")
    parser.add_argument("--interactions", type=int, default=24, help="interactions per session (default 24)")
    parser.add_argument("--think", type=float, default=2.5, help="mean think time between interactions, s (2.5)")
    parser.add_argument("--stress-interactions", type=int, default=12,
                        help="interactions per session back to back, no think time (default 12; 0: skip)")
    parser.add_argument("--memory-sessions", type=int, help="sessions added in the memory phase "
                        "(default --sessions; 0: skip)")
    parser.add_argument("--app-root", default=str(ROOT), help="the checkout whose app is measured (default: this one)")
    parser.add_argument("--warm", action="store_true", help="one search by meaning before the clock starts: the model "
                        "and the FAISS index loaded, as on a server that has been up a while (default: a cold server)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic workspace")
    parser.add_argument("--workspace", help="an existing indexed workspace instead of the synthetic one "
                        "(e.g. benchmarks/scale.py's ~/.cache/loupe/bench/ws-1m); --rows is then its row count")
    parser.add_argument("--out", help="the JSON result (default benchmarks/out/load-<rows>-<sessions>.json)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # before benchmarks/: `app` is the package, not benchmarks/app.py
    import benchmarks.synthetic as synthetic
    from benchmarks.results import commit, write_result
    from indexing.vectors.clustering import choose_k

    OUT.mkdir(parents=True, exist_ok=True)
    app_root = Path(args.app_root).resolve()
    if args.workspace:
        workspace, built = given_workspace(args.workspace)
        rows, clusters = built["rows"], built["clusters"]
    else:
        rows = synthetic.parse_size(args.rows)
        clusters = choose_k(rows)
        workspace, built = synthetic.synthetic_workspace(rows, clusters, args.seed, args.rebuild)
    words = corpus_words(workspace, seed=args.seed)
    result = {"rows": rows, "clusters": clusters, "app_root": str(app_root), "commit": commit(app_root),
              "workspace": {"path": str(workspace), **built}, "load_average_before": _load(),
              "bars_limits": {"p95_s": BAR_P95_SECONDS, "session_bytes": BAR_SESSION_BYTES}}
    memory_sessions = args.sessions if args.memory_sessions is None else args.memory_sessions
    if memory_sessions:
        print(f"memory: adding {memory_sessions} sessions to one process ...", flush=True)
        result["memory"] = memory_phase(app_root, workspace, words, memory_sessions)
    print(f"load: {args.sessions} sessions at once in one process, think time {args.think:g} s, "
          f"then back to back ...", flush=True)
    result["load"] = _in_process(load_process, str(app_root), str(workspace), words,
                                 {"sessions": args.sessions, "interactions": args.interactions, "think": args.think,
                                  "stress_interactions": args.stress_interactions, "warm": args.warm})
    result["warm"] = args.warm
    result["load_average_after"] = _load()
    every = result["load"]["think"]["all"]
    result["bars"] = [
        {"bar": 1, "what": f"p95 server time per interaction, {args.sessions} sessions at once",
         "figure": f"{every['p95_s']:.2f} s", "limit": f"< {BAR_P95_SECONDS:g} s", "pass": every["p95_s"] < BAR_P95_SECONDS},
    ]
    if memory_sessions:
        memory = result["memory"]
        result["bars"].append(
            {"bar": 2, "what": "memory per added session (one process, mean)",
             "figure": f"{memory['per_added_session_bytes'] / 1e6:,.0f} MB", "limit": f"< {BAR_SESSION_BYTES / 1e6:g} MB",
             "pass": memory["per_added_session_bytes"] < BAR_SESSION_BYTES})
    print_table(result)
    out = write_result("load", result, args.out or OUT / f"load-{synthetic.tag(rows)}-{args.sessions}.json")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
