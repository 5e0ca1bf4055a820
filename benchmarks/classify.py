"""Retraining a seed classifier on a 100,000-document workspace: the bar is under 10 s.

One retrain is everything `loupe train` / `indexing.curate.classifiers.train` does after a label
click: read the current labels and every vector (LanceDB), cross-validate (stratified
k-fold), fit on all seeds, score every document (float32 matmul + sigmoid), save the
classifier (coef.npy + meta.json, swapped in atomically) and write `score_<name>` for
every row through `Store.replace_columns`. Timed as the wall time of `train()`, with its
own split (read, train, score, save, column) beside it.

Scenarios: 50, 100 and 1,000 hand-labelled seeds (half positive, half negative), and
100 positives against 10,000 sampled unlabelled documents (DCLM-style). Each is timed
`--repeats` times in this process after a first call that is timed apart ("cold":
the first read of the table's files in this process); the bar is on the median.

The workspace is benchmarks/app.py's synthetic one, built by its own builder (real
LanceDB, FAISS and `workspace.json`, rows written with `Store.append_docs`), here with
384-d vectors (the default model's size) named `hash:384`: random unit vectors around one
direction per cluster. Nothing here embeds text, so the figures are the classifier's
alone. The known truth: documents of a random quarter of the clusters are "good", so the
printout also shows how well the score ranks the unlabelled documents (ROC AUC against
that truth), as a check that the timed work is real work.

    .venv/bin/python benchmarks/classify.py                  # 100,000 rows
    .venv/bin/python benchmarks/classify.py --rows 20k --repeats 1
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

import benchmarks.synthetic as synthetic  # noqa: E402  (the app benchmarks' workspace builder)
from benchmarks.results import commit, write_result  # noqa: E402

MODEL = "hash:384"  # 384-d, as all-MiniLM-L6-v2
BAR_SECONDS = 10.0
GOOD_SHARE = 0.25  # share of the clusters whose documents are "good"
SCENARIOS = (  # (name, positive seeds, negative seeds or None for unlabelled)
    ("seeds_50", 25, 25),
    ("seeds_100", 50, 50),
    ("seeds_1000", 500, 500),
    ("unlabelled_10k", 100, None),
)


def workspace(rows: int, seed: int, rebuild: bool) -> tuple[Path, dict]:
    """The cached synthetic workspace with 384-d vectors (built once by benchmarks/synthetic.py)."""
    from indexing import Workspace
    from indexing.vectors.clustering import choose_k

    synthetic.MODEL = MODEL  # the builder names the model (and so the dimension) from this
    clusters = choose_k(rows)
    root = OUT / f"classify-{synthetic.tag(rows)}"
    if not rebuild and root.exists() and synthetic.synthetic_ready(root, rows, clusters, seed) \
            and Workspace.open(root).state.dimension == 384:
        print(f"workspace {root}  (cached: {rows:,} rows)", flush=True)
        return root, {"cached": True, "clusters": clusters}
    print(f"building {root}: {rows:,} synthetic rows of {MODEL}, {clusters} clusters ...", flush=True)
    started = time.perf_counter()
    seconds = synthetic.build_synthetic(root, rows, clusters, seed)
    return root, {"cached": False, "clusters": clusters, "wall_seconds": round(time.perf_counter() - started, 1),
                  "seconds": seconds}


def fresh_labels(ws) -> None:
    """Drop the labels of earlier runs, so every run starts from the same seeds."""
    from indexing.workspace.store import LABELS

    if ws.store.has(LABELS):
        ws.store.db.drop_table(LABELS)
    ws.store.ensure_labels()


def truth(ws, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids and the known class of every document: good when its cluster is among a random quarter."""
    docs = ws.docs(columns=["id", "cluster"])
    clusters = docs["cluster"].to_numpy()
    k = int(clusters.max()) + 1
    good = np.random.default_rng(seed + 1).choice(k, max(1, int(GOOD_SHARE * k)), replace=False)
    return np.array(docs["id"].to_pylist(), dtype=object), np.isin(clusters, good)


def run_scenario(ws, ids, good, name, positives, negatives, repeats, seed) -> dict:
    from sklearn.metrics import roc_auc_score

    from indexing.curate.classifiers import train

    rng = np.random.default_rng(seed + 2)
    pos = rng.choice(np.flatnonzero(good), positives, replace=False)
    ws.labels.add(ids[pos].tolist(), name, "good")
    if negatives:
        neg = rng.choice(np.flatnonzero(~good), negatives, replace=False)
        ws.labels.add(ids[neg].tolist(), name, "bad")
    negative = "bad" if negatives else None
    walls, splits = [], []
    cold = None
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        classifier = train(ws, name, positive="good", negative=negative, seed=seed)
        wall = time.perf_counter() - started
        if attempt == 0:
            cold = wall
            continue
        walls.append(wall)
        splits.append(classifier.stats["seconds"])
    column = ws.docs(columns=["id", classifier.column])
    scores = column[classifier.column].to_numpy()
    labelled = np.isin(ids, np.array(ws.labels.current(name)["doc_id"].to_pylist(), dtype=object))
    held_out_auc = float(roc_auc_score(good[~labelled], scores[~labelled]))
    median = statistics.median(walls)
    split = {k: round(statistics.median(s[k] for s in splits), 3) for k in splits[0]}
    m = classifier.metrics
    return {
        "scenario": name, "positives": m.positives, "negatives": m.negatives, "folds": m.folds,
        "cv_precision": m.precision, "cv_recall": m.recall, "cv_roc_auc": m.roc_auc,
        "held_out_roc_auc": round(held_out_auc, 4),
        "cold_s": round(cold, 3), "median_s": round(median, 3), "max_s": round(max(walls), 3),
        "runs": len(walls), "split_median_s": split, "bar_s": BAR_SECONDS,
        "verdict": "PASS" if median < BAR_SECONDS else "FAIL",
    }


def print_table(result: dict) -> None:
    print(f"\nretrain on {result['rows']:,} documents (median of {result['repeats']}; bar < {BAR_SECONDS:.0f} s)")
    header = f"{'scenario':<16}{'pos':>6}{'neg':>7}{'cv AUC':>8}{'true AUC':>9}{'cold s':>8}{'median s':>9}{'max s':>7}" \
             f"  split (read/train/score/save/column)  bar"
    print(header)
    for r in result["scenarios"]:
        split = "/".join(f"{r['split_median_s'].get(k, 0):.2f}" for k in ("read", "train", "score", "save", "column"))
        auc = "n/a" if r["cv_roc_auc"] is None else f"{r['cv_roc_auc']:.3f}"
        print(f"{r['scenario']:<16}{r['positives']:>6}{r['negatives']:>7}{auc:>8}{r['held_out_roc_auc']:>9.3f}"
              f"{r['cold_s']:>8.2f}{r['median_s']:>9.2f}{r['max_s']:>7.2f}  {split:<37}{r['verdict']}")
    print(f"peak RSS {result['peak_rss_mb']:,.0f} MB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Retraining a seed classifier on a 100k-document workspace")
    parser.add_argument("--rows", type=synthetic.parse_size, default=100_000, help="rows (default 100,000; 20k works)")
    parser.add_argument("--repeats", type=int, default=3, help="timed retrains per scenario (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the synthetic workspace")
    parser.add_argument("--out", default=str(OUT / "classify.json"), help="the JSON result")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    from indexing import Workspace

    root, built = workspace(args.rows, args.seed, args.rebuild)
    ws = Workspace.open(root)
    fresh_labels(ws)
    ids, good = truth(ws, args.seed)
    scenarios = []
    for name, positives, negatives in SCENARIOS:
        print(f"{name}: {positives} positive seeds against "
              f"{negatives if negatives else 'a 10,000-document unlabelled sample'} ...", flush=True)
        scenarios.append(run_scenario(ws, ids, good, name, positives, negatives, max(1, args.repeats), args.seed))
    result = {
        "rows": args.rows, "dimension": ws.state.dimension, "repeats": args.repeats,
        "commit": commit(),
        "workspace": {"path": str(root), **built},
        "scenarios": scenarios,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print_table(result)
    out = write_result("classify", result, args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
