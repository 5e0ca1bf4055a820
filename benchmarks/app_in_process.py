"""The app benchmark's in-process measurements (bars 1 and 2 of `app.py`): the filter after a
threshold move, the map figure and what handing it to Streamlit costs, the other work of a
rerun, and whole-page reruns through Streamlit's AppTest. The real code of app/ and
indexing/, in this process, on the synthetic workspace (`synthetic.py`).
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.synthetic import timed

ROOT = Path(__file__).resolve().parents[1]
APP_SCRIPT = ROOT / "app" / "streamlit_app.py"
MOVED_COLUMN = "tokens"  # the column whose threshold is moved


def _quiet_streamlit() -> None:
    """Bare-mode calls (no `streamlit run`) warn "missing ScriptRunContext" on every widget,
    and about session state and direct execution once. Streamlit resets its loggers' levels
    when it parses its config, so those loggers are switched off instead."""
    import logging

    import streamlit.config
    import streamlit.runtime.scriptrunner_utils.script_run_context as context
    import streamlit.runtime.state.session_state_proxy as proxy

    for module in (context, proxy):
        logging.getLogger(module.__name__).disabled = True
    streamlit.config.set_option("global.showWarningOnDirectExecution", False)


def _summary(times: list[float]) -> dict:
    return {"median_ms": round(1000 * statistics.median(times), 1), "max_ms": round(1000 * max(times), 1),
            "runs": len(times)}


def _thresholds(values: np.ndarray, moves: int, low: float, high: float) -> list[float]:
    """`moves` thresholds between two quantiles: a slider dragged across the bulk."""
    finite = values[np.isfinite(values)]
    return [float(q) for q in np.quantile(finite, np.linspace(low, high, moves))]


def _moves(corpus, moves: int) -> dict[str, list[dict[str, tuple]]]:
    """Slider positions per scenario (column -> (low, high), as the sliders hold them): the
    tokens threshold across the bulk of its values, alone and with rules on three more of the
    synthetic workspace's columns."""
    bounds = corpus.bounds

    def cast(name: str, value: float):
        return int(round(value)) if name in corpus.integer else value

    one = [{MOVED_COLUMN: (cast(MOVED_COLUMN, t), bounds[MOVED_COLUMN][1])}
           for t in _thresholds(corpus.values_of[MOVED_COLUMN], moves, 0.02, 0.6)]
    alpha = "alpha_frac" if "alpha_frac" in bounds else "gopher_alpha_word_frac"  # synthetic / real workspace
    fixed = {"chars": (bounds["chars"][0], cast("chars", np.quantile(corpus.values_of["chars"], 0.95))),
             alpha: (0.55, bounds[alpha][1]),
             "lang_score": (0.3, bounds["lang_score"][1])}
    four = [{**fixed, **move} for move in one]
    return {"one rule": one, "four rules": four}


def _rules(corpus, sliders: dict[str, tuple]):
    """The rules the app makes from these slider values."""
    from app.active_filter import rules_from

    return rules_from(corpus, sliders)


def time_filter(corpus, workspace, moves: int) -> dict:
    """Bar 1: per threshold move, the engine's evaluate (counts, kept histograms of every
    column, the predicate) and the app's current_filter (which also rebuilds the rules from
    each column's bounds) as each rerun calls it."""
    import streamlit as st

    from app.active_filter import HAND, current_filter
    from indexing.curate.thresholds import combined_predicate, evaluate

    labels = {"quality": (np.zeros(corpus.size, dtype=np.int32), [None, "good", "bad"])}  # the default scheme
    path, version, labels_version = str(workspace.root), workspace.store.version(), workspace.labels.version()
    result = {}
    for scenario, positions in _moves(corpus, moves).items():
        engine, app_path, kept = [], [], []
        for sliders in [positions[0], *positions]:  # the first move once more, as a warm-up
            rules = _rules(corpus, sliders)
            started = time.perf_counter()
            combined_predicate(rules)
            evaluation = evaluate(rules, corpus.values_of, corpus.tokens, corpus.bins_of)
            engine.append(time.perf_counter() - started)
            st.session_state.clear()
            st.session_state[HAND] = False
            for name, value in sliders.items():
                st.session_state[f"rule_{name}"] = value
            spent, active = timed(current_filter, corpus, path, version, labels_version, labels)
            app_path.append(spent)
            if active.evaluation.summary != evaluation.summary:  # the two paths must measure the same cut
                raise RuntimeError(f"current_filter and evaluate disagree on {sliders}")
            kept.append(evaluation.summary.kept_docs)
        result[scenario] = {
            "engine_evaluate": _summary(engine[1:]),
            "app_current_filter": _summary(app_path[1:]),
            "rules_active": sum(1 for r in _rules(corpus, positions[-1]) if r.predicate()),
            "kept_docs_range": [min(kept), max(kept)],
            "histograms": len(corpus.bins_of),
        }
    st.session_state.clear()
    return result


def _map_figure(corpus, keep: np.ndarray):
    """What app.tabs.map.map_panel builds for these kept documents, coloured by cluster."""
    from components.figure_spec import Prepared
    from components.map_figure import display_sample, map_spec

    kept = np.flatnonzero(keep)
    shown = kept[display_sample(corpus.clusters[kept])]
    figure = Prepared(map_spec(corpus.x[shown], corpus.y[shown], (), hover_ids=corpus.hover_ids()[shown],
                               color=corpus.clusters[shown], categorical=True, color_name="cluster",
                               categories=None, texts=None, highlight=None, clusters=corpus.clusters[shown]))
    return figure, len(shown)


def _hand_to_streamlit(figure) -> None:
    """The map's st.plotly_chart call, in bare mode: it turns the figure into a dict
    (plotly.tools), into JSON (plotly.io.to_json) and hashes that JSON into the element id,
    the same work as in a server, minus the websocket."""
    import streamlit as st

    st.plotly_chart(figure, on_select="rerun", selection_mode=("box", "lasso", "points"), key="map")


def time_map(corpus, keep_after_move: np.ndarray, repeats: int = 3) -> dict:
    """Bar 2: the map figure for the first page (nothing filtered) and after a threshold move."""
    import plotly.io
    import plotly.tools

    result = {}
    for case, keep in (("first page", np.ones(corpus.size, dtype=bool)), ("after a threshold move", keep_after_move)):
        build, handed, to_dict, to_json = [], [], [], []
        for _ in range(repeats):
            gc.collect()
            spent, (figure, shown) = timed(_map_figure, corpus, keep)
            build.append(spent)
            handed.append(timed(_hand_to_streamlit, figure)[0])
            spent, as_dict = timed(plotly.tools.return_figure_from_figure_or_data, figure, True)
            to_dict.append(spent)
            spent, spec = timed(plotly.io.to_json, as_dict, validate=False)
            to_json.append(spent)
            del figure, as_dict
        result[case] = {
            "points_drawn": shown,
            "build_s": round(statistics.median(build), 3),
            "build_plus_plotly_chart_s": round(statistics.median(build) + statistics.median(handed), 3),
            "plotly_chart_s": round(statistics.median(handed), 3),
            "of_which_to_dict_s": round(statistics.median(to_dict), 3),
            "of_which_to_json_s": round(statistics.median(to_json), 3),
            "spec_bytes": len(spec),
            "runs": repeats,
        }
        del spec
    return result


def time_rerun_pieces(corpus, workspace, keep: np.ndarray) -> dict:
    """Other work every rerun does with a threshold set (seconds, median of 5): what the
    Filters tab and the page add to the filter itself."""
    from indexing.curate.thresholds import default_bounds, near_in_sorted, near_threshold

    values = corpus.values_of[MOVED_COLUMN]
    threshold = float(np.quantile(values, 0.3))
    below, above = near_threshold(values, threshold, 3)
    ids = [corpus.ids[p] for p in [*below.tolist(), *above.tolist()]]
    pieces = {
        "bounds of every column (default_bounds; the app keeps them in Corpus)":
            lambda: [default_bounds(v) for v in corpus.values_of.values()],
        "near_threshold, one rule (argsort of the column; the app keeps it)": lambda: near_threshold(values, threshold, 3),
        "near_threshold, one rule, with the column kept sorted": lambda: near_in_sorted(*corpus.sorted(MOVED_COLUMN), threshold, 3),
        "text of the 6 documents near a cut (LanceDB id IN ...)":
            lambda: workspace.by_ids(ids, ["id", "text"]),
        "text of the 6 documents near a cut (LanceDB take by position; the app's way)":
            lambda: workspace.store.take_docs([*below.tolist(), *above.tolist()], ["text"], corpus.version),
        "kept_ids list (streamlit_app.py)": lambda: [corpus.ids[p] for p in np.flatnonzero(keep)],
    }
    return {name: round(statistics.median(timed(fn)[0] for _ in range(5)), 4) for name, fn in pieces.items()}


def time_full_rerun(root: Path, others: dict[str, tuple], moves: int = 3) -> dict:
    """The whole page rerun server-side (Streamlit's AppTest runs app/streamlit_app.py in
    this process): the first run (cold caches), a rerun with nothing changed, then reruns
    after the tokens slider moved, alone and with the `others` sliders set too."""
    from streamlit.testing.v1 import AppTest

    os.environ["LOUPE_WORKSPACE"] = str(root)
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=900)

    def rerun() -> float:
        spent, _ = timed(app.run)
        if app.exception:
            raise RuntimeError(f"the app raised: {app.exception[0].value}")
        return spent

    try:
        result = {"first_run_s": round(rerun(), 2), "unchanged_rerun_s": round(rerun(), 2)}
        app.session_state["page"] = "Filters"  # the sliders are drawn on the Filters tab only
        result["open_filters_s"] = round(rerun(), 2)
        slider = app.slider(key=f"rule_{MOVED_COLUMN}")
        low, high = slider.min, slider.max
        step = max(1, (high - low) // 400)
        for scenario in ("one rule", "four rules"):
            if scenario == "four rules":
                drawn = {widget.key for widget in app.slider}  # a closed group (Gopher on a real workspace) draws none
                result["other_rules_set"] = [name for name in others if f"rule_{name}" in drawn]
                for name in result["other_rules_set"]:
                    app.slider(key=f"rule_{name}").set_value(others[name])
                rerun()
            times = []
            for move in range(1, moves + 1):
                app.slider(key=f"rule_{MOVED_COLUMN}").set_value((low + move * step, high))
                times.append(rerun())
            result[scenario] = {"slider_move_rerun_s": [round(t, 2) for t in times],
                                "median_s": round(statistics.median(times), 2)}
    except RuntimeError as error:
        return {"error": str(error)}
    return result


def in_process(root: Path, moves: int) -> dict:
    import psutil

    from app.data import read_corpus
    from indexing import Workspace
    from indexing.curate.thresholds import evaluate

    _quiet_streamlit()
    workspace = Workspace.open(root)
    before = psutil.Process().memory_info().rss
    load, corpus = timed(read_corpus, workspace)
    held = psutil.Process().memory_info().rss - before
    print(f"read_corpus: {corpus.size:,} rows, {len(corpus.values_of)} numeric columns in {load:.2f} s "
          f"(+{held / 1e6:,.0f} MB RSS)", flush=True)
    print("timing the filter (bar 1) ...", flush=True)
    filter_ = time_filter(corpus, workspace, moves)
    positions = _moves(corpus, moves)
    moved = positions["one rule"][moves // 2]  # a middling cut, for the map after a move
    others = {k: v for k, v in positions["four rules"][0].items() if k != MOVED_COLUMN}
    keep = evaluate(_rules(corpus, moved), corpus.values_of, corpus.tokens, corpus.bins_of).keep
    print("timing the map figure (bar 2) ...", flush=True)
    map_ = time_map(corpus, keep)
    pieces = time_rerun_pieces(corpus, workspace, keep)
    del corpus, keep
    gc.collect()
    print("timing whole-page reruns (AppTest) ...", flush=True)
    rerun = time_full_rerun(root, others)
    return {"read_corpus_s": round(load, 2), "corpus_rss_bytes": held, "filter": filter_, "map": map_,
            "rerun_pieces_s": pieces, "full_rerun": rerun}
