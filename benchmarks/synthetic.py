"""The synthetic workspace the app benchmarks measure (`app.py`, `load.py`, `classify.py`).

A million rows written through the real storage layers (``Workspace.create``,
``Store.append_docs``, the pipeline's ``build_faiss`` and ``build_text_index``) with the exact schema a real
``Workspace.index`` writes (taken from a real ingest of a few records), and every stage
recorded as ``index`` records it, so ``info()["ready"]`` is true and the app opens it like
any other. Embedding a million texts for real would take hours on a CPU; the app never
reads texts or vectors for the map and filters, so random vectors (around one direction
per cluster), Gaussian blobs for x/y and lognormal signals stand in. Cached in
``benchmarks/out/app-<rows>/`` (reused while complete); ``demo_workspace`` is ``loupe
demo``'s corpus with the real model, in ``benchmarks/out/app-demo-<docs>/``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

SYNTHETIC_VERSION = 2  # bump when the synthetic workspace changes (2: rule-suite and language columns)
MARKER = "synthetic.json"  # written last into the workspace: the build finished
MODEL = "hash:64"  # Loupe's hashing embedder: names the 64-d vectors, embeds queries (classify.py sets 384-d)
BATCH_ROWS = 100_000  # rows per LanceDB commit while building (bounds memory)
VOCABULARY = 20_000
TOPIC_WORDS = 12  # words typical of one cluster (its keywords)
TEXT_WORDS = (16, 28)  # words per synthetic text: 100-200 bytes
TOPIC_SHARE = 0.35  # share of a text's words drawn from its cluster's topic words
KINDS = ("prose", "code", "list", "table")


def parse_size(text: str) -> int:
    """10000, 50k, 1m -> int."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def tag(n: int) -> str:
    """1000000 -> 1m, 50000 -> 50k: the cache folder's name."""
    for unit, scale in (("m", 1_000_000), ("k", 1_000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def timed(fn: Callable, *args, **kwargs):
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def template_schema() -> pa.Schema:
    """The docs schema a real ingest writes for records with a string field and two float
    fields (one with nulls), plus x, y and cluster as the map and cluster stages add them."""
    from indexing import Workspace
    from indexing.demo_corpus import write_jsonl
    from indexing.ingest.ingest import IndexReport, Ingest, IngestOptions

    records = [{"id": f"t{i}", "text": f"template text number {i}", "kind": "prose",
                "alpha_frac": 0.5 + i / 100} for i in range(8)]
    with tempfile.TemporaryDirectory(prefix="loupe-bench-app-") as tmp:
        ws = Workspace.create(Path(tmp) / "ws", model=MODEL, id_field="id")
        source = Path(tmp) / "template.jsonl"
        write_jsonl(records, source)
        Ingest(ws.root, ws.state, ws.store, ws.embedder(), IngestOptions(id_field="id"), IndexReport()).run(
            [str(source)])
        schema = ws.store.docs_schema()
    # the pipeline's build_map merges float32 x, y; its build_clusters merges int32 cluster.
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
    """cluster, size, keywords (its topic words), x, y (centre on the map), as build_clusters writes."""
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
    from indexing.progress import Quiet
    from indexing.workspace.lock import writer_lock
    from indexing.workspace.manifest import SourceState
    from indexing.workspace.pipeline import Vectors, build_faiss, build_text_index, check_model
    from indexing.workspace.stages import record_stages, stage_entry

    if root.exists():
        shutil.rmtree(root)
    seconds: dict[str, float] = {}
    schema = template_schema()
    rng = np.random.default_rng(seed)
    ws = Workspace.create(root, model=MODEL, id_field="id")

    def record(stage: str, spent: float, **extra) -> None:
        record_stages(ws, {stage: stage_entry(rows, spent, **extra)})

    with writer_lock(ws.root):  # the app says "still being indexed" meanwhile, as with `loupe index`
        check_model(ws, ws.embedder())  # model, dimension, max_tokens, as index() records them
        dim = ws.state.dimension
        layout = Layout.make(clusters, dim, rng)
        source = str((root / "sources" / "synthetic").resolve())
        vectors = np.empty((rows, dim), dtype=np.float32)
        ids: list[str] = []
        generate = write = 0.0
        for start in range(0, rows, BATCH_ROWS):
            n = min(BATCH_ROWS, rows - start)
            spent, (table, vectors[start:start + n]) = timed(_batch, layout, schema, start, n, source, rng)
            generate += spent
            ids += table.column("id").to_pylist()
            write += timed(ws.store.append_docs, table)[0]
            print(f"  wrote {start + n:,} of {rows:,} rows", flush=True)
        write += timed(ws.store.compact)[0]
        seconds.update({"generate rows": generate, "write LanceDB": write})
        ws.state.sources[source] = SourceState(source, "synthetic", "synthetic", {"seed": seed, "rows": rows},
                                               complete=True, records=rows, stored=rows)
        ws.state.save(ws.root)  # as the ingest pass saves its sources
        # One pass, as in index(): writing is the ingest; generating stands in for signals and embedding.
        for stage, spent in (("ingest", write), ("signals", 0.0), ("embed", generate)):
            record(stage, spent)
        seconds["text index"], _ = timed(build_text_index, ws.store, Quiet())
        record("text_index", seconds["text index"])
        print(f"  full-text index {seconds['text index']:.1f} s; building FAISS ...", flush=True)
        seconds["faiss"], meta = timed(build_faiss, ws.root, Vectors(ids, vectors), Quiet())
        record("faiss", seconds["faiss"], kind=meta["kind"])
        record("project", 0.0)  # x and y were written with the rows
        del vectors, ids
        docs = ws.docs(columns=["cluster", "x", "y"])
        seconds["clusters table"], _ = timed(lambda: ws.store.write_clusters(_clusters_table(layout, docs)))
        record("cluster", seconds["clusters table"], k=int(clusters))
    (root / MARKER).write_text(json.dumps(_expected_marker(rows, clusters, seed)) + "\n")
    return {name: round(s, 2) for name, s in seconds.items()}


def synthetic_workspace(rows: int, clusters: int, seed: int, rebuild: bool) -> tuple[Path, dict]:
    root = OUT / f"app-{tag(rows)}"
    if not rebuild and root.exists() and synthetic_ready(root, rows, clusters, seed):
        print(f"workspace {root}  (cached: {rows:,} rows, {clusters} clusters)", flush=True)
        return root, {"cached": True}
    print(f"building {root}: {rows:,} synthetic rows, {clusters} clusters ...", flush=True)
    wall, seconds = timed(build_synthetic, root, rows, clusters, seed)
    print(f"built in {wall:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), flush=True)
    return root, {"cached": False, "wall_seconds": round(wall, 1), "seconds": seconds}


def demo_workspace(docs: int, seed: int) -> tuple[Path, dict]:
    """`loupe demo`'s workspace (standard-library corpus, the real model), built once."""
    from indexing import Workspace
    from indexing.errors import WorkspaceError
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
