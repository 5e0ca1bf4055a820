"""A million documents on this CPU: Loupe's real build, search, dedup and filters at 1M, timed.

The corpus is REAL EMBEDDINGS OF ~100k REAL DOCUMENTS, REPEATED WITH SMALL NOISE TO 1M
(`scale_corpus`: paragraphs of the stdlib, the manual pages and /usr/share/doc, embedded once
by the real all-MiniLM-L6-v2 and cached under ~/.cache/loupe/bench/; `scale_build`: each
paragraph 10 times, copies marked in their text and noised in their vector). Stages, each
timed with the peak RSS of this process and its children (sampled every 0.2 s in a thread):

    build     `Workspace.index` of the 1M-row Parquet source: the real ingest (signals, token
              counts, LanceDB), text index, FAISS (HNSW above 200k rows), projection (UMAP
              fitted on a sample, the rest placed by MapPlacer) and clusters; only the model's
              forward pass is a cache lookup (`scale_build.LookupEmbedder`). Resumes (the
              workspace's own stages) when a run was killed.
    search    1,000 held-out real paragraphs (neither they nor copies are in the workspace)
              as single queries on the workspace's FAISS index: p50 per query, recall@10
              against exact search (IndexFlatIP over all 1M), at efSearch 64 (Loupe's) and more.
    dedup     semantic dedup (`indexing.curate.dedup.dedup`, cosine >= 0.95) over 1M.
    filters   the Filters tab's counts: `Workspace.count` of a few predicates, and the app's
              threshold recomputation (benchmarks/app_in_process.time_filter on read_corpus).
    maptopics how often a point's 10 nearest points on the map share its topic (man section,
              stdlib package, /usr/share/doc package), fitted against placed points, for the
              build's map and for a map fitted on `--compare-sample` rows.

Bars (printed with PASS/FAIL, never asserted): projection of 1M under 10 minutes; single-query
search p50 under 5 ms with recall@10 >= 0.95; peak memory under 8 GB. Figures done are kept in
~/.cache/loupe/bench/scale-stages.json, so a rerun skips finished stages (--redo to repeat).

    nice -n 10 .venv/bin/python benchmarks/scale.py                  # everything (hours here)
    nice -n 10 .venv/bin/python benchmarks/scale.py --stages search,filters
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # first: `app` is the package, not benchmarks/app.py
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))

import numpy as np  # noqa: E402

import scale_build  # noqa: E402
import scale_corpus  # noqa: E402
from results import write_result  # noqa: E402

CACHE = scale_corpus.CACHE
STAGES = ("build", "search", "dedup", "filters", "maptopics")
BAR_PROJECT_S = 600
BAR_P50_MS = 5.0
BAR_RECALL = 0.95
BAR_PEAK_BYTES = 8 * 1024**3
EF_SEARCH = (64, 96, 128, 256)


class Memory:
    """RSS of this process and its children, sampled in a thread; `peak(since, until)`; and
    their CPU seconds (`cpu()`), the figure to compare when other work shares the machine."""

    def __init__(self, every: float = 0.2):
        import psutil

        self.process, self.every, self.samples = psutil.Process(), every, []
        threading.Thread(target=self._run, daemon=True).start()

    def rss(self) -> int:
        total = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except Exception:  # noqa: BLE001 - a child that just ended
                pass
        return total

    def cpu(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system + times.children_user + times.children_system

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), self.rss(), self.cpu()))
            time.sleep(self.every)

    def peak(self, since: float, until: float | None = None) -> int:
        until = until or time.time()
        return max((rss for at, rss, _ in list(self.samples) if since - self.every <= at <= until + self.every),
                   default=self.rss())

    def cpu_between(self, since: float, until: float) -> float:
        """CPU seconds spent between two times (to the sampling interval)."""
        inside = [cpu for at, _, cpu in list(self.samples) if since - self.every <= at <= until + self.every]
        return round(inside[-1] - inside[0], 1) if inside else 0.0


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def topic(doc_id: str) -> str:
    """A paragraph's topic: man section folder, stdlib top package, /usr/share/doc package."""
    source, _, rest = doc_id.partition(":")
    if source == "manpages":
        return "man:" + rest.split("/", 1)[0]
    if source == "stdlib":
        return "py:" + rest.split(".", 1)[0].split(":", 1)[0]
    return "doc:" + rest.split("/", 1)[0]


def stage_build(ws_path: Path, source: Path, records, vectors, memory: Memory) -> dict:
    from indexing import Workspace
    from indexing.vectors.embedder import load_embedder

    ws = Workspace.create(ws_path, id_field="id", exist_ok=True)
    real = load_embedder()
    embedder = scale_build.LookupEmbedder(real, records, vectors)
    ws._embedder = embedder  # the benchmark's one substitution: vectors from the cache
    clock = scale_build.StageClock(log)
    started = time.time()
    report = ws.index([source], progress=clock)
    seconds = time.time() - started
    spans = [{"stage": name, "s": round(end - begin, 1), "cpu_s": memory.cpu_between(begin, end),
              "peak_rss_bytes": memory.peak(begin, end)}
             for name, begin, end in clock.spans]
    state = json.loads((ws_path / "workspace.json").read_text())
    return {"s": round(seconds, 1), "peak_rss_bytes": memory.peak(started), "spans": spans,
            "report_seconds": {k: round(v, 1) for k, v in report.seconds.items()},
            "lookup_s": round(embedder.seconds, 1), "rows": ws.store.count(),
            "recorded_stages": {k: {"rows": v.get("rows"), "seconds": v.get("seconds"), "kind": v.get("kind")}
                                for k, v in state.get("stages", {}).items()}}


def stage_search(ws_path: Path, queries: np.ndarray) -> dict:
    from indexing import Workspace
    from indexing.vectors.faiss_lib import faiss
    from indexing.vectors.stored import read_vectors

    ws = Workspace.open(ws_path)
    index = ws.vector_index()
    ids, matrix = read_vectors(ws.store)
    exact = faiss.IndexFlatIP(matrix.shape[1])
    exact.add(np.ascontiguousarray(matrix))
    del matrix
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    truth_scores, truth = exact.search(queries, 10)
    exact_ids = ids.take(truth.reshape(-1)).to_numpy(zero_copy_only=False).reshape(truth.shape)
    del exact
    names = np.array(index.ids, dtype=object)
    result = {"kind": index.meta["kind"], "rows": len(index.ids), "queries": len(queries), "by_ef_search": {}}
    for ef in EF_SEARCH if isinstance(index.index, faiss.IndexHNSW) else (None,):
        if ef is not None:
            index.index.hnsw.efSearch = ef
        index.search(queries[:20], 10)  # warm
        times, cpu_times, found = [], [], []
        for query in queries:
            began, began_cpu = time.perf_counter(), time.process_time()
            _, positions = index.search(query[None, :], 10)
            times.append(time.perf_counter() - began)
            cpu_times.append(time.process_time() - began_cpu)
            found.append(positions[0])
        got = names[np.array(found)]
        recall = float(np.mean([len(set(g) & set(t)) / 10 for g, t in zip(got, exact_ids)]))
        # ties: a found row whose true similarity reaches the exact 10th best is as good a result
        found_scores = np.stack([index.index.reconstruct_batch(np.asarray(f, np.int64)) @ q
                                 for f, q in zip(found, queries)])
        as_good = float(np.mean(found_scores >= truth_scores[:, 9:10] - 1e-4))
        result["by_ef_search"][str(ef)] = {"p50_ms": round(1000 * statistics.median(times), 3),
                                           "p95_ms": round(1000 * float(np.percentile(times, 95)), 3),
                                           "cpu_p50_ms": round(1000 * statistics.median(cpu_times), 3),
                                           "recall_at_10": round(recall, 4),
                                           "as_good_as_exact_10th": round(as_good, 4)}
        log(f"  efSearch {ef}: p50 {result['by_ef_search'][str(ef)]['p50_ms']} ms, recall@10 {recall:.4f} "
            f"(found at least as similar as the exact 10th: {as_good:.4f})")
    started = time.perf_counter()
    for text in ("how to open a file for reading", "licence terms of redistribution"):
        ws.search(text, k=10)
    result["workspace_search_s"] = round((time.perf_counter() - started) / 2, 3)  # incl. the real model
    return result


def stage_dedup(ws_path: Path) -> dict:
    from indexing import Workspace
    from indexing.curate.dedup import dedup

    from dataclasses import asdict

    return asdict(dedup(Workspace.open(ws_path), "semantic", 0.95))


def stage_filters(ws_path: Path) -> dict:
    import app_in_process
    from app.data import read_corpus
    from indexing import Workspace

    app_in_process._quiet_streamlit()
    ws = Workspace.open(ws_path)
    counts = {}
    for where in ("origin = 'manpages'", "copy_number = 0", "tokens > 100", "copy_number > 0 AND origin = 'stdlib'"):
        started = time.perf_counter()
        n = ws.count(where)
        counts[where] = {"rows": n, "s": round(time.perf_counter() - started, 3)}
        log(f"  count({where}) = {n:,} in {counts[where]['s']} s")
    started = time.perf_counter()
    corpus = read_corpus(ws)
    read_s = time.perf_counter() - started
    return {"count": counts, "read_corpus_s": round(read_s, 2),
            "threshold_moves": app_in_process.time_filter(corpus, ws, 10)}


def stage_maptopics(ws_path: Path, compare_sample: int | None, memory: Memory) -> dict:
    from placement import map_topic_rate

    from indexing import Workspace
    from indexing.vectors import projection
    from indexing.vectors.stored import read_vectors

    ws = Workspace.open(ws_path)
    table = ws.store.read_docs(columns=["id", "x", "y", "placed"])
    topics = np.array([topic(i) for i in table.column("id").to_pylist()])
    xy = np.column_stack([table.column(c).to_numpy() for c in ("x", "y")])
    fitted = _fitted(len(xy), projection.FIT_SAMPLE)
    result = {"build": _rates(xy, topics, fitted, map_topic_rate), "build_fit_sample": projection.FIT_SAMPLE}
    log(f"  build's map: {result['build']}")
    if compare_sample:
        _, matrix = read_vectors(ws.store)
        projection.FIT_SAMPLE = compare_sample
        started = time.time()
        coords = projection.project(matrix)
        result["compare"] = {"fit_sample": compare_sample, "s": round(time.time() - started, 1),
                             "peak_rss_bytes": memory.peak(started),
                             **_rates(coords, topics, _fitted(len(xy), compare_sample),
                                      map_topic_rate)}
        log(f"  fitted on {compare_sample:,}: {result['compare']}")
    return result


def _fitted(n: int, sample: int) -> np.ndarray:
    """The rows `project` fitted UMAP on (its default seed); the rest were placed."""
    from indexing.vectors import projection

    return np.arange(n) if n <= projection.FIT_MAX_ROWS else projection.fit_sample(n, sample, 42)


def _rates(xy, topics, fitted_positions, rate, probe: int = 20_000) -> dict:
    """Topic rate of the 10 nearest on the map, over `probe` fitted and `probe` placed points
    (each among all points)."""
    import faiss

    fitted = np.zeros(len(xy), bool)
    fitted[fitted_positions] = True
    index = faiss.IndexFlatL2(2)
    index.add(np.ascontiguousarray(xy, dtype=np.float32))
    rng = np.random.default_rng(0)
    out = {}
    for name, pool in (("fitted", np.flatnonzero(fitted)), ("placed", np.flatnonzero(~fitted))):
        if len(pool) == 0:
            continue
        probe_rows = rng.choice(pool, min(probe, len(pool)), replace=False)
        _, found = index.search(np.ascontiguousarray(xy[probe_rows], dtype=np.float32), 11)
        same = (topics[found[:, 1:]] == topics[probe_rows][:, None]).mean(axis=1)
        out[f"{name}_topic_rate"] = round(float(same.mean()), 4)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=100_000, help="real paragraphs in the workspace")
    parser.add_argument("--queries", type=int, default=1_000, help="held-out real paragraphs as queries")
    parser.add_argument("--copies", type=int, default=10, help="times each paragraph is in the workspace")
    parser.add_argument("--workspace", default=str(CACHE / "ws-1m"))
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--compare-sample", type=int, default=100_000,
                        help="maptopics: also a map fitted on N rows, timed (0: none)")
    parser.add_argument("--redo", action="store_true", help="repeat stages already recorded")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    memory = Memory()
    records, vectors, meta = scale_corpus.build(args.base + args.queries)
    log(f"REAL documents: {len(records):,} paragraphs ({meta['by_source']}), embedded by {meta['model']} at "
        f"{meta['docs_per_second']} docs/s; {args.base:,} of them x {args.copies} copies (copy 0 as is, the rest "
        f"with a text marker and vector noise {scale_build.NOISE}/dim) = {args.base * args.copies:,} documents; "
        f"{args.queries:,} held out as queries")
    done_path = CACHE / f"scale-stages-{args.base}x{args.copies}.json"
    done = json.loads(done_path.read_text()) if done_path.exists() else {}
    ws_path = Path(args.workspace)
    source = CACHE / f"scale-{args.base}x{args.copies}.parquet"
    for stage in args.stages.split(","):
        if stage in done and not args.redo:
            log(f"{stage}: recorded, skipped")
            continue
        log(f"{stage} ...")
        started, cpu = time.time(), memory.cpu()
        if stage == "build":
            scale_build.write_source(source, records[: args.base], args.copies)
            figures = stage_build(ws_path, source, records[: args.base], vectors, memory)
        elif stage == "search":
            figures = stage_search(ws_path, np.asarray(vectors[args.base : args.base + args.queries]))
        elif stage == "dedup":
            figures = stage_dedup(ws_path)
        elif stage == "filters":
            figures = stage_filters(ws_path)
        elif stage == "maptopics":
            figures = stage_maptopics(ws_path, args.compare_sample or None, memory)
        else:
            raise SystemExit(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        figures.setdefault("s", round(time.time() - started, 1))
        figures.setdefault("peak_rss_bytes", memory.peak(started))
        figures["cpu_s"] = round(memory.cpu() - cpu, 1)
        figures["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
        done[stage] = figures
        done_path.write_text(json.dumps(done, indent=2, default=str) + "\n")
        log(f"{stage}: {figures['s']:,} s wall, {figures['cpu_s']:,} s CPU, "
            f"peak RSS {figures['peak_rss_bytes'] / 1e9:.2f} GB")
    result = {"corpus": {**meta, "base": args.base, "copies": args.copies, "queries": args.queries,
                         "documents": args.base * args.copies, "noise_per_dim": scale_build.NOISE,
                         "stated": "real embeddings of real documents repeated with small noise"},
              "stages": done}
    path = write_result("scale", result, args.out)
    log(f"written {path}")


if __name__ == "__main__":
    main()
