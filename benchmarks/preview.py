"""The preview embedder (`loupe index --preview`) against the full model: speed and agreement.

On one corpus of real documents (`benchmarks/corpus.py`: standard-library and installed
packages' docstrings and function sources, 3,000 by default) this measures, on this CPU:

* docs/s of each embedder doing what the index's embed pass does per chunk: count the
  tokens with the base tokenizer, then encode (the full model: all-MiniLM-L6-v2 with
  Loupe's token batching; the preview: its static model), both in this process, the same
  texts, timed alternately `--repeats` times (best of each kept). Bar: the preview at
  least 20x the full model's documents per second (printed PASS/FAIL, never asserted).
* the distillation, once per model: a fresh distillation into an empty cache (the base
  model's forward over its vocabulary, PCA, the cache written), and a cached load.
* agreement with the full model, for each PCA size tried (`--pca`): the mean overlap of
  each document's 10 nearest neighbours (exact cosine, itself excluded) between the
  preview's vectors and the full model's; and of the clusterings (Loupe's k-means with
  its own k, `choose_k`): the adjusted Rand index, and the share of documents that sit
  in their full-model cluster's majority preview cluster (how much of each full cluster
  stays together). The PCA variants reuse one forward pass over the vocabulary (the only
  part they share); the first distillation is timed whole.

    .venv/bin/python benchmarks/preview.py                    # 3,000 documents
    .venv/bin/python benchmarks/preview.py --docs 10000 --pca 128,256
"""

from __future__ import annotations

import argparse
import os
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

BAR_SPEEDUP = 20.0
NEIGHBOURS = 10


def neighbours(matrix: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each row's k nearest rows by cosine (rows are unit length), itself excluded."""
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -np.inf)
    return np.argpartition(-sims, k, axis=1)[:, :k]


def knn_overlap(a: np.ndarray, b: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Mean share of the k nearest neighbours that two embeddings of the same rows agree on."""
    na, nb = neighbours(a, k), neighbours(b, k)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb)]))


def cluster_agreement(full: np.ndarray, preview: np.ndarray) -> dict:
    """ARI of the two k-means clusterings, and the share of documents in their full
    cluster's majority preview cluster."""
    from sklearn.metrics import adjusted_rand_score

    from indexing.vectors.clustering import choose_k, kmeans

    k = choose_k(len(full))
    a, b = kmeans(full, k), kmeans(preview, k)
    kept = sum(np.bincount(b[a == c]).max() for c in np.unique(a))
    return {"k": k, "adjusted_rand": round(float(adjusted_rand_score(a, b)), 4),
            "majority_kept": round(float(kept / len(full)), 4)}


def timed_encode(embedder, texts: list[str]) -> tuple[float, np.ndarray]:
    """Seconds to count tokens and encode `texts`, as the embed pass does, and the vectors."""
    started = time.perf_counter()
    vectors = embedder.encode(texts, embedder.count_tokens(texts))
    return time.perf_counter() - started, vectors


class _ForwardOnce:
    """model2vec's forward pass over the vocabulary, run once and reused by every PCA size."""

    def __init__(self):
        from model2vec.distill import distillation

        self.module, self.original, self.result = distillation, distillation.create_embeddings, None

    def __call__(self, *args, **kwargs):
        if self.result is None:
            self.result = self.original(*args, **kwargs)
        return self.result.copy()

    def __enter__(self):
        self.module.create_embeddings = self
        return self

    def __exit__(self, *exc):
        self.module.create_embeddings = self.original


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--pca", default="64,128,256,384", help="PCA sizes to compare (384 or more: no PCA)")
    parser.add_argument("--repeats", type=int, default=2, choices=range(1, 10), metavar="N")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["LOUPE_CACHE_DIR"] = tempfile.mkdtemp(prefix="loupe-preview-bench-")

    from indexing.vectors import preview
    from indexing.vectors.embedder import DEFAULT_MODEL, SentenceTransformerEmbedder

    path, meta = bench_corpus.corpus(args.docs)
    texts = [r["text"] for r in bench_corpus.read_jsonl(path)][: args.docs]
    print(f"corpus: {len(texts):,} documents ({path.name})", file=sys.stderr)

    started = time.perf_counter()
    folder = preview.cached_model(DEFAULT_MODEL, preview.PCA_DIMS)
    distill_s = time.perf_counter() - started
    started = time.perf_counter()
    default = preview.PreviewEmbedder(preview.preview_name(DEFAULT_MODEL))
    load_s = time.perf_counter() - started
    print(f"distillation {distill_s:.1f} s (pca {preview.PCA_DIMS}) into {folder.name}; cached load {load_s:.2f} s",
          file=sys.stderr)

    full = SentenceTransformerEmbedder(DEFAULT_MODEL, device="cpu")
    full_s, preview_s = [], []
    for _ in range(args.repeats):  # alternately, so that a busy moment of the machine hits both
        preview_s.append(timed_encode(default, texts)[0])
        seconds, full_vectors = timed_encode(full, texts)
        full_s.append(seconds)
    full_rate, preview_rate = len(texts) / min(full_s), len(texts) / min(preview_s)
    speedup = preview_rate / full_rate
    print(f"full {full_rate:,.0f} docs/s, preview {preview_rate:,.0f} docs/s: {speedup:.1f}x "
          f"({'PASS' if speedup >= BAR_SPEEDUP else 'FAIL'}, bar {BAR_SPEEDUP:.0f}x)", file=sys.stderr)

    variants = []
    with _ForwardOnce():
        for dims in [int(d) for d in args.pca.split(",") if d.strip()]:
            pca = None if dims >= full.dimension else dims
            embedder = preview.PreviewEmbedder(preview.preview_name(DEFAULT_MODEL), pca_dims=pca)
            runs = [timed_encode(embedder, texts) for _ in range(args.repeats)]
            seconds, vectors = min(r[0] for r in runs), runs[0][1]
            row = {"pca_dims": dims, "dimension": embedder.dimension, "docs_per_s": round(len(texts) / seconds, 1),
                   "knn10_overlap": round(knn_overlap(full_vectors, vectors), 4),
                   **cluster_agreement(full_vectors, vectors)}
            variants.append(row)
            print(f"pca {dims:>3}: {row['docs_per_s']:>8,.0f} docs/s, 10-NN overlap {row['knn10_overlap']:.3f}, "
                  f"ARI {row['adjusted_rand']:.3f}, majority kept {row['majority_kept']:.3f} (k={row['k']})",
                  file=sys.stderr)

    result = {
        "docs": len(texts), "corpus": {"path": path.name, **{k: meta.get(k) for k in ("corpus_version", "seed")}},
        "model": DEFAULT_MODEL, "pca_dims_default": preview.PCA_DIMS,
        "distill_seconds": round(distill_s, 1), "cached_load_seconds": round(load_s, 2),
        "full": {"docs_per_s": round(full_rate, 1), "seconds": [round(s, 2) for s in full_s]},
        "preview": {"docs_per_s": round(preview_rate, 1), "seconds": [round(s, 3) for s in preview_s]},
        "speedup": round(speedup, 1), "bar_speedup": BAR_SPEEDUP, "passed": speedup >= BAR_SPEEDUP,
        "agreement_by_pca": variants,
    }
    print(f"wrote {write_result('preview', result, args.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
