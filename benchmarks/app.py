"""The app's speed bars on a million-row workspace: filter, map, memory, first page.

The bars (printed with PASS/FAIL, never asserted):

1. a threshold change recomputes counts and histograms in under 300 ms, server-side;
2. the map figure for the display sample is built in under 1 s;
3. the app's processes stay under 3 GB resident (RSS) while a page is open and used;
4. on the demo workspace the first page shows the map within 5 s of the server being ready.

How each is measured:

* Bars 1 and 2 run in this process on the real code: ``app.data.read_corpus`` loads the
  columns, then ``indexing.filters.evaluate`` (with the per-column kept histograms and
  ``combined_predicate``) and the app's own ``app.active_filter.current_filter`` time a
  threshold moved ~20 times; ``display_sample`` + ``map_figure`` time the map as
  ``app.tabs.map.map_panel`` builds it, and ``st.plotly_chart`` (in Streamlit's bare mode:
  the same ``to_dict``, ``plotly.io.to_json`` and element-id hashing as in a server) times
  what it costs to hand the figure to Streamlit. Streamlit's ``AppTest`` then reruns the
  whole page after a slider move, which is the server-side cost a curator waits for.
* Bars 3 and 4 start the real server (``loupe app -w WS --port P``), wait for
  ``/_stcore/health``, and load the page in headless Chromium (Playwright) until the map's
  Scattergl trace is in the plot with its WebGL canvas; on the big workspace a slider is
  then dragged. A thread polls the RSS of the server's process tree (``loupe app`` execs
  ``streamlit run``) every 0.05 s. Each first-page run starts a fresh server.

The million-row workspace is synthetic but written through the real storage layers
(``Workspace.create``, ``Store.append_docs``, ``build_index``, ``ensure_text_index``) with
the exact schema a real ``Workspace.index`` writes (taken from a real ingest of a few
records), and every stage recorded as ``index`` records it, so ``info()["ready"]`` is true
and the app opens it like any other. Embedding a million texts for real would take hours on
a CPU; the app never reads texts or vectors for the map and filters, so random vectors
(around one direction per cluster), Gaussian blobs for x/y and lognormal signals stand in.
It is cached in ``benchmarks/out/app-1m/`` (reused while complete); the demo workspace
(``loupe demo``'s corpus and the real model) in ``benchmarks/out/app-demo-<docs>/``.

    .venv/bin/python benchmarks/app.py                           # 1,000,000 rows (full run)
    .venv/bin/python benchmarks/app.py --rows 50k --demo-docs 500  # a quick check
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import gc
import json
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))  # first: this file is app.py, and `import app.data` means the package

APP_SCRIPT = ROOT / "app" / "streamlit_app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

BAR_FILTER_SECONDS = 0.300
BAR_MAP_SECONDS = 1.0
BAR_RSS_BYTES = 3_000_000_000
BAR_FIRST_PAGE_SECONDS = 5.0

SYNTHETIC_VERSION = 2  # bump when the synthetic workspace changes (2: rule-suite and language columns)
MARKER = "synthetic.json"  # written last into the workspace: the build finished
MODEL = "hash:64"  # Loupe's hashing embedder: names the 64-d vectors, embeds queries
BATCH_ROWS = 100_000  # rows per LanceDB commit while building (bounds memory)
VOCABULARY = 20_000
TOPIC_WORDS = 12  # words typical of one cluster (its keywords)
TEXT_WORDS = (16, 28)  # words per synthetic text: 100-200 bytes
TOPIC_SHARE = 0.35  # share of a text's words drawn from its cluster's topic words
KINDS = ("prose", "code", "list", "table")
POLL_SECONDS = 0.05
MOVED_COLUMN = "tokens"  # the column whose threshold is moved
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


def _size(text: str) -> int:
    """10000, 50k, 1m -> int."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _tag(n: int) -> str:
    """1000000 -> 1m, 50000 -> 50k: the cache folder's name."""
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def _timed(fn: Callable, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


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


# ---- the synthetic million-row workspace ----------------------------------------------


def template_schema() -> pa.Schema:
    """The docs schema a real ingest writes for records with a string field and two float
    fields (one with nulls), plus x, y and cluster as the map and cluster stages add them."""
    from indexing import Workspace
    from indexing.demo_corpus import write_jsonl
    from indexing.ingest import IndexReport, Ingest, IngestOptions

    records = [{"id": f"t{i}", "text": f"template text number {i}", "kind": "prose",
                "alpha_frac": 0.5 + i / 100} for i in range(8)]
    with tempfile.TemporaryDirectory(prefix="loupe-bench-app-") as tmp:
        ws = Workspace.create(Path(tmp) / "ws", model=MODEL, id_field="id")
        source = Path(tmp) / "template.jsonl"
        write_jsonl(records, source)
        Ingest(ws.root, ws.state, ws.store, ws.embedder(), IngestOptions(id_field="id"), IndexReport()).run(
            [str(source)])
        schema = ws.store.docs_schema()
    # Workspace._project merges float32 x, y; Workspace._cluster merges int32 cluster.
    return pa.schema([*schema, pa.field("x", pa.float32()), pa.field("y", pa.float32()),
                      pa.field("cluster", pa.int32())])


def _pseudo_words(rng: np.random.Generator, count: int) -> list[str]:
    """Pronounceable made-up words ("brinsu", "tavelo"): a vocabulary without a download."""
    onsets = "b br c ch d dr f fl g gr h j k l m n p pl qu r s sh st t th tr v w z".split()
    vowels = "a e i o u ai ea ou".split()
    codas = ["", "", "", "n", "r", "s", "l", "m", "nd", "st"]
    words: dict[str, None] = {}
    while len(words) < count:
        parts = [onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))]
                 + codas[rng.integers(len(codas))] for _ in range(int(rng.integers(1, 4)))]
        words["".join(parts)] = None
    return list(words)


@dataclass
class Layout:
    """What makes a cluster a cluster: a blob on the map, a direction in vector space and
    topic words; documents are drawn around them."""

    weights: np.ndarray  # (k,) share of the documents
    centres: np.ndarray  # (k, 2)
    spreads: np.ndarray  # (k,)
    directions: np.ndarray  # (k, dim), unit vectors
    topics: np.ndarray  # (k, TOPIC_WORDS) word numbers
    vocabulary: list[str]
    zipf: np.ndarray  # probability of each word outside the topic words

    @classmethod
    def make(cls, k: int, dim: int, rng: np.random.Generator) -> "Layout":
        weights = rng.lognormal(0.0, 1.0, k)
        directions = rng.standard_normal((k, dim)).astype(np.float32)
        zipf = 1.0 / np.arange(1, VOCABULARY + 1)
        return cls(
            weights=weights / weights.sum(),
            centres=rng.uniform(0, 25, (k, 2)),
            spreads=rng.lognormal(np.log(0.5), 0.4, k),
            directions=directions / np.linalg.norm(directions, axis=1, keepdims=True),
            topics=rng.integers(200, VOCABULARY, (k, TOPIC_WORDS)),  # not among the commonest
            vocabulary=_pseudo_words(rng, VOCABULARY),
            zipf=zipf / zipf.sum(),
        )


def _texts(layout: Layout, cluster: np.ndarray, rng: np.random.Generator) -> list[str]:
    n, width = len(cluster), TEXT_WORDS[1]
    words = rng.choice(VOCABULARY, (n, width), p=layout.zipf)
    topical = rng.random((n, width)) < TOPIC_SHARE
    topic = layout.topics[cluster[:, None], rng.integers(0, TOPIC_WORDS, (n, width))]
    words = np.where(topical, topic, words).tolist()
    lengths = rng.integers(TEXT_WORDS[0], TEXT_WORDS[1] + 1, n).tolist()
    vocabulary = layout.vocabulary
    return [" ".join([vocabulary[w] for w in row[:length]]) + "." for row, length in zip(words, lengths)]


def _batch(layout: Layout, schema, start: int, n: int, source: str,
           rng: np.random.Generator) -> tuple[pa.Table, np.ndarray]:
    """Rows start..start+n of the docs table, and their vectors (for FAISS)."""
    k, dim = layout.directions.shape
    cluster = rng.choice(k, n, p=layout.weights).astype(np.int32)
    xy = layout.centres[cluster] + rng.standard_normal((n, 2)) * layout.spreads[cluster, None]
    vectors = layout.directions[cluster] + 0.15 * rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Signals of the documents the short texts stand for: long-tailed, as real corpora are.
    chars = np.clip(rng.lognormal(np.log(900), 1.1, n), 20, 400_000)
    lang_score = rng.beta(5.0, 1.5, n)
    ordinal = np.arange(start, start + n, dtype=np.int64)
    columns = {
        "id": pa.array([f"doc-{i:07d}" for i in range(start, start + n)], pa.string()),
        "text": pa.array(_texts(layout, cluster, rng), pa.string()),
        "_source": pa.array([source] * n, pa.string()),
        "_ordinal": pa.array(ordinal),
        "_line": pa.array(ordinal + 1),
        "kind": pa.array(np.array(KINDS)[rng.choice(len(KINDS), n, p=[0.55, 0.3, 0.1, 0.05])]),
        "alpha_frac": pa.array(rng.beta(8.0, 2.0, n)),
        "lang_score": pa.array(lang_score, mask=rng.random(n) < 0.03),  # 3% missing
        "chars": pa.array(chars.astype(np.int64)),
        "words": pa.array(np.maximum(1, chars / rng.uniform(5, 7, n)).astype(np.int64)),
        "lines": pa.array(np.maximum(1, chars / rng.uniform(30, 90, n)).astype(np.int64)),
        "tokens": pa.array(np.maximum(1, chars / rng.uniform(3.2, 4.6, n)).astype(np.int64)),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dim),
        "x": pa.array(xy[:, 0].astype(np.float32)),
        "y": pa.array(xy[:, 1].astype(np.float32)),
        "cluster": pa.array(cluster),
    }
    for field in schema:  # Loupe's own signal columns (rule suites, language): plausible values
        if field.name not in columns:
            columns[field.name] = _synthetic_signal(field, n, rng)
    missing = set(schema.names) ^ set(columns)
    if missing:
        raise RuntimeError(f"the synthetic rows and the ingest schema differ in {sorted(missing)}")
    table = pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)
    return table, vectors


def _synthetic_signal(field: pa.Field, n: int, rng: np.random.Generator) -> pa.Array:
    """Values for a column the ingest computes (the rule suites, `lang`): fractions in
    [0, 1], small counts, or a language code; the app only needs their shape and count."""
    if pa.types.is_floating(field.type):
        return pa.array(rng.beta(2.0, 5.0, n))
    if pa.types.is_integer(field.type):
        return pa.array(rng.poisson(3.0, n).astype(np.int64))
    if pa.types.is_string(field.type):
        return pa.array(np.array(["en", "de", "fr", "es", "zh"])[rng.choice(5, n, p=[0.7, 0.1, 0.1, 0.05, 0.05])])
    raise RuntimeError(f"no synthetic values for {field.name} ({field.type})")


def _clusters_table(layout: Layout, docs) -> pa.Table:
    """cluster, size, keywords (its topic words), x, y (centre on the map), as _cluster writes."""
    k = len(layout.weights)
    labels = docs.column("cluster").to_numpy()
    xs, ys = docs.column("x").to_numpy(), docs.column("y").to_numpy()
    sizes = np.bincount(labels, minlength=k)
    return pa.table({
        "cluster": np.arange(k, dtype=np.int32),
        "size": sizes.astype(np.int64),
        "keywords": [[layout.vocabulary[w] for w in dict.fromkeys(layout.topics[c].tolist())][:8] for c in range(k)],
        "x": [float(xs[labels == c].mean()) if sizes[c] else None for c in range(k)],
        "y": [float(ys[labels == c].mean()) if sizes[c] else None for c in range(k)],
    })


def _expected_marker(rows: int, clusters: int, seed: int) -> dict:
    return {"synthetic_version": SYNTHETIC_VERSION, "rows": rows, "clusters": clusters, "seed": seed}


def synthetic_ready(root: Path, rows: int, clusters: int, seed: int) -> bool:
    """The cached workspace is the one asked for, and every stage finished."""
    from indexing import Workspace

    marker = root / MARKER
    if not marker.exists() or json.loads(marker.read_text()) != _expected_marker(rows, clusters, seed):
        return False
    info = Workspace.open(root).info()
    return info["ready"] and info["docs"] == rows


def build_synthetic(root: Path, rows: int, clusters: int, seed: int) -> dict:
    """Write the workspace stage by stage, as `Workspace.index` would; returns seconds per step."""
    from indexing import Workspace
    from indexing.lock import writer_lock
    from indexing.state import SourceState
    from indexing.vector_index import build_index

    if root.exists():
        shutil.rmtree(root)
    seconds: dict[str, float] = {}
    schema = template_schema()
    rng = np.random.default_rng(seed)
    ws = Workspace.create(root, model=MODEL, id_field="id")
    with writer_lock(ws.root):  # the app says "still being indexed" meanwhile, as with `loupe index`
        ws._check_model(ws.embedder())  # model, dimension, max_tokens, as index() records them
        dim = ws.state.dimension
        layout = Layout.make(clusters, dim, rng)
        source = str((root / "sources" / "synthetic").resolve())
        vectors = np.empty((rows, dim), dtype=np.float32)
        ids: list[str] = []
        generate = write = 0.0
        for start in range(0, rows, BATCH_ROWS):
            n = min(BATCH_ROWS, rows - start)
            spent, (table, vectors[start:start + n]) = _timed(_batch, layout, schema, start, n, source, rng)
            generate += spent
            ids += table.column("id").to_pylist()
            write += _timed(ws.store.append_docs, table)[0]
            print(f"  wrote {start + n:,} of {rows:,} rows", flush=True)
        write += _timed(ws.store.compact)[0]
        seconds.update({"generate rows": generate, "write LanceDB": write})
        ws.state.sources[source] = SourceState(source, "synthetic", "synthetic", {"seed": seed, "rows": rows},
                                               complete=True, records=rows, stored=rows)
        # One pass, as in index(): writing is the ingest; generating stands in for signals and embedding.
        for stage, spent in (("ingest", write), ("signals", 0.0), ("embed", generate)):
            ws._record(stage, rows, spent)
        seconds["text index"], _ = _timed(ws.store.ensure_text_index)
        ws._record("text_index", rows, seconds["text index"])
        print(f"  full-text index {seconds['text index']:.1f} s; building FAISS ...", flush=True)
        seconds["faiss"], meta = _timed(build_index, ws.root, vectors, ids)
        ws._record("faiss", rows, seconds["faiss"], kind=meta["kind"])
        ws._record("project", rows, 0.0)  # x and y were written with the rows
        del vectors, ids
        docs = ws.docs(columns=["cluster", "x", "y"])
        seconds["clusters table"], _ = _timed(lambda: ws.store.write_clusters(_clusters_table(layout, docs)))
        ws._record("cluster", rows, seconds["clusters table"], k=int(clusters))
    (root / MARKER).write_text(json.dumps(_expected_marker(rows, clusters, seed)) + "\n")
    return {name: round(s, 2) for name, s in seconds.items()}


def synthetic_workspace(rows: int, clusters: int, seed: int, rebuild: bool) -> tuple[Path, dict]:
    root = OUT / f"app-{_tag(rows)}"
    if not rebuild and root.exists() and synthetic_ready(root, rows, clusters, seed):
        print(f"workspace {root}  (cached: {rows:,} rows, {clusters} clusters)", flush=True)
        return root, {"cached": True}
    print(f"building {root}: {rows:,} synthetic rows, {clusters} clusters ...", flush=True)
    wall, seconds = _timed(build_synthetic, root, rows, clusters, seed)
    print(f"built in {wall:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), flush=True)
    return root, {"cached": False, "wall_seconds": round(wall, 1), "seconds": seconds}


def demo_workspace(docs: int, seed: int) -> tuple[Path, dict]:
    """`loupe demo`'s workspace (standard-library corpus, the real model), built once."""
    from indexing import Workspace, WorkspaceError
    from indexing.demo_corpus import stdlib_documents, write_jsonl

    root = OUT / f"app-demo-{docs}"
    corpus = root / "sources" / "stdlib.jsonl"
    try:
        if Workspace.open(root).info()["ready"]:
            print(f"demo workspace {root}  (cached)", flush=True)
            return root, {"cached": True}
    except WorkspaceError:
        pass
    print(f"building the demo workspace {root} ({docs:,} standard-library samples, real model) ...", flush=True)
    started = time.perf_counter()
    if not corpus.exists():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        write_jsonl(stdlib_documents(docs, seed=seed), corpus)
    try:
        ws = Workspace.open(root)
    except WorkspaceError:
        ws = Workspace.create(root, id_field="id")
    report = ws.index([str(corpus)])
    wall = time.perf_counter() - started
    print(f"built in {wall:.1f} s", flush=True)
    return root, {"cached": False, "wall_seconds": round(wall, 1),
                  "seconds": {k: round(v, 2) for k, v in report.seconds.items()}}


# ---- in-process: filter and map (bars 1 and 2) -----------------------------------------


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
    fixed = {"chars": (bounds["chars"][0], cast("chars", np.quantile(corpus.values_of["chars"], 0.95))),
             "alpha_frac": (0.55, bounds["alpha_frac"][1]),
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
    from indexing.filters import combined_predicate, evaluate

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
            spent, active = _timed(current_filter, corpus, path, version, labels_version, labels)
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
            spent, (figure, shown) = _timed(_map_figure, corpus, keep)
            build.append(spent)
            handed.append(_timed(_hand_to_streamlit, figure)[0])
            spent, as_dict = _timed(plotly.tools.return_figure_from_figure_or_data, figure, True)
            to_dict.append(spent)
            spent, spec = _timed(plotly.io.to_json, as_dict, validate=False)
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
    from indexing.filters import default_bounds, near_in_sorted, near_threshold

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
    return {name: round(statistics.median(_timed(fn)[0] for _ in range(5)), 4) for name, fn in pieces.items()}


def time_full_rerun(root: Path, others: dict[str, tuple], moves: int = 3) -> dict:
    """The whole page rerun server-side (Streamlit's AppTest runs app/streamlit_app.py in
    this process): the first run (cold caches), a rerun with nothing changed, then reruns
    after the tokens slider moved, alone and with the `others` sliders set too."""
    from streamlit.testing.v1 import AppTest

    os.environ["LOUPE_WORKSPACE"] = str(root)
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=900)

    def rerun() -> float:
        spent, _ = _timed(app.run)
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
                for name, value in others.items():
                    app.slider(key=f"rule_{name}").set_value(value)
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
    from indexing.filters import evaluate

    _quiet_streamlit()
    workspace = Workspace.open(root)
    before = psutil.Process().memory_info().rss
    load, corpus = _timed(read_corpus, workspace)
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


# ---- the real server in Chromium (bars 3 and 4) ------------------------------------------


COLD_RUN = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest  # the server has imported streamlit before it is ready
started = time.perf_counter()
import app.data, app.sidebar, app.tabs.export, app.tabs.filters, app.tabs.label, app.tabs.map, indexing.lock
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

    def __init__(self, workspace: Path, log: Path):
        self.workspace, self.log = workspace, log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.peak_tree = self.peak_process = 0
        self._stop = threading.Event()

    def __enter__(self) -> "Server":
        import psutil

        loupe = Path(sys.executable).with_name("loupe")
        env = {k: v for k, v in os.environ.items() if k != "LOUPE_WORKSPACE"}
        self._log = open(self.log, "w")
        self.process = subprocess.Popen([str(loupe), "app", "-w", str(self.workspace), "--port", str(self.port)],
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


# ---- the table ---------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bars(result: dict) -> list[dict]:
    """The four bars, each with its figure and verdict (bar 1 once per path measured)."""
    rows = []
    for scenario, figures in result["in_process"]["filter"].items():
        for path, label in (("engine_evaluate", "evaluate + predicate"), ("app_current_filter", "app current_filter")):
            worst = figures[path]["max_ms"] / 1000
            rows.append({"bar": 1, "what": f"threshold moved, {scenario}: {label} (median / max)",
                         "figure": f"{figures[path]['median_ms']:.0f} / {figures[path]['max_ms']:.0f} ms",
                         "limit": f"< {BAR_FILTER_SECONDS * 1000:.0f} ms", "pass": worst < BAR_FILTER_SECONDS})
    for case, figures in result["in_process"]["map"].items():
        rows.append({"bar": 2, "what": f"map, {case} ({figures['points_drawn']:,} points): build",
                     "figure": f"{figures['build_s']:.2f} s", "limit": f"< {BAR_MAP_SECONDS:g} s",
                     "pass": figures["build_s"] < BAR_MAP_SECONDS})
        rows.append({"bar": 2, "what": f"map, {case}: build + st.plotly_chart",
                     "figure": f"{figures['build_plus_plotly_chart_s']:.2f} s", "limit": f"< {BAR_MAP_SECONDS:g} s",
                     "pass": figures["build_plus_plotly_chart_s"] < BAR_MAP_SECONDS})
    big = result.get("browser_big")
    if big:
        rows.append({"bar": 3, "what": "peak RSS of the server (page, slider moved, second tab)",
                     "figure": f"{big['peak_tree_rss_bytes'] / 1e9:.2f} GB", "limit": f"< {BAR_RSS_BYTES / 1e9:g} GB",
                     "pass": big["peak_tree_rss_bytes"] < BAR_RSS_BYTES})
    demo = result.get("browser_demo")
    if demo:
        rows.append({"bar": 4, "what": f"demo workspace: server ready -> map drawn (median of {len(demo['time_to_map_s'])})",
                     "figure": f"{demo['median_s']:.2f} s", "limit": f"< {BAR_FIRST_PAGE_SECONDS:g} s",
                     "pass": demo["median_s"] < BAR_FIRST_PAGE_SECONDS})
    return rows


def _timeline(timeline: dict) -> str:
    return (f"after the server was ready: page loaded {timeline['page_loaded_s']:.1f} s, first script run "
            f"finished {timeline['script_finished_s']:.1f} s, map drawn {timeline['map_drawn_s']:.1f} s")


def print_table(result: dict) -> None:
    rows = result["bars"]
    rule = "-" * 112
    print(rule)
    print(f"{'bar':<4}{'what':<76}{'figure':>14}{'limit':>11}{'':>7}")
    print(rule)
    for row in rows:
        print(f"{row['bar']:<4}{row['what']:<76}{row['figure']:>14}{row['limit']:>11}  {_verdict(row['pass'])}")
    print(rule)
    inner = result["in_process"]
    print(f"rows {result['rows']:,}; read_corpus {inner['read_corpus_s']:.2f} s, "
          f"+{inner['corpus_rss_bytes'] / 1e6:,.0f} MB in this process")
    for case, figures in inner["map"].items():
        print(f"map, {case}: spec {figures['spec_bytes'] / 1e6:,.1f} MB of JSON; st.plotly_chart "
              f"{figures['plotly_chart_s']:.2f} s (to_dict {figures['of_which_to_dict_s']:.2f} s, "
              f"to_json {figures['of_which_to_json_s']:.2f} s)")
    print("other work in a rerun with a threshold set (seconds): " + "; ".join(
        f"{name} {s:.3f}" for name, s in inner["rerun_pieces_s"].items()))
    rerun = inner["full_rerun"]
    if "error" in rerun:
        print(f"whole-page rerun (AppTest): the app raised: {rerun['error']}")
    else:
        print(f"whole-page rerun, server-side (AppTest): first run {rerun['first_run_s']:.1f} s, unchanged "
              f"{rerun['unchanged_rerun_s']:.1f} s, after a slider move " + ", ".join(
                  f"{scenario} {rerun[scenario]['median_s']:.1f} s" for scenario in ("one rule", "four rules"))
              + " (medians)")
    big = result.get("browser_big")
    if big:
        slider = big["slider"]
        print(f"browser, {result['rows']:,} rows ({big['points_drawn']:,} points drawn): {_timeline(big['timeline'])}")
        print(f"  slider release -> new counts {slider['counts_shown_s']:.1f} s, -> script idle "
              f"{slider['script_idle_s']:.1f} s, -> map redrawn {slider['map_redrawn_s']:.1f} s "
              f"({slider['points_drawn']:,} points); largest single process peaked at "
              f"{big['peak_largest_process_rss_bytes'] / 1e9:.2f} GB")
        print(f"  a second tab (warm caches) drew the map in {big['second_tab_time_to_map_s']:.1f} s; peak RSS by "
              "phase: " + ", ".join(f"{k} {v / 1e9:.2f} GB" for k, v in big["peak_tree_rss_by_phase_bytes"].items()))
    demo = result.get("browser_demo")
    if demo:
        print(f"browser, demo ({demo['points_drawn']:,} docs): runs {demo['time_to_map_s']} s; peak RSS "
              f"{demo['peak_tree_rss_bytes'] / 1e9:.2f} GB")
        for run, timeline in enumerate(demo["timelines"], 1):
            print(f"  run {run}: {_timeline(timeline)}")
        cold = demo["server_side_first_run"]
        print(f"  server-side, fresh process: importing the app's modules {cold['imports_s']:.2f} s, "
              f"then the first script run {cold['first_run_s']:.2f} s" + (f" (raised: {cold['error']})" if cold["error"] else ""))


def _commit() -> str | None:
    """The commit measured, with "+dirty" when app/, components/ or indexing/ have local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "app", "components", "indexing"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def main(argv: list[str] | None = None) -> None:
    from indexing.clustering import choose_k

    parser = argparse.ArgumentParser(description="The app's speed bars on a million-row workspace")
    parser.add_argument("--rows", type=_size, default=1_000_000, help="rows of the synthetic workspace "
                        "(default 1,000,000; 50k works)")
    parser.add_argument("--clusters", type=int, help="clusters (default what `loupe index` picks: "
                        "about sqrt(rows/4), at most 256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic workspace")
    parser.add_argument("--demo-docs", type=int, default=5000, help="demo corpus size (default 5000, as `loupe demo`)")
    parser.add_argument("--runs", type=int, default=3, help="first-page runs on the demo workspace (default 3)")
    parser.add_argument("--moves", type=int, default=20, help="threshold moves timed per scenario (default 20)")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait for a page or server, seconds")
    parser.add_argument("--no-browser", action="store_true", help="only the in-process measurements (bars 1, 2)")
    parser.add_argument("--out", default=str(OUT / "app.json"), help="the JSON result")
    args = parser.parse_args(argv)
    clusters = args.clusters or choose_k(args.rows)
    OUT.mkdir(parents=True, exist_ok=True)

    root, built = synthetic_workspace(args.rows, clusters, args.seed, args.rebuild)
    demo_root, demo_built = demo_workspace(args.demo_docs, args.seed) if not args.no_browser else (None, None)
    result = {
        "benchmark": "app",
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rows": args.rows,
        "clusters": clusters,
        "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "commit": _commit(),
        "workspace": {"path": str(root), **built},
        "bars_limits": {"filter_s": BAR_FILTER_SECONDS, "map_s": BAR_MAP_SECONDS, "rss_bytes": BAR_RSS_BYTES,
                        "first_page_s": BAR_FIRST_PAGE_SECONDS},
        "in_process": in_process(root, args.moves),
    }
    if not args.no_browser:
        print(f"serving {root} to Chromium (bar 3) ...", flush=True)
        result["browser_big"] = serve_big(root, args.timeout)
        print(f"serving {demo_root} to Chromium, {args.runs} runs (bar 4) ...", flush=True)
        result["demo_workspace"] = {"path": str(demo_root), **demo_built}
        result["browser_demo"] = serve_demo(demo_root, args.runs, args.timeout)
    result["bars"] = bars(result)
    print_table(result)
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
