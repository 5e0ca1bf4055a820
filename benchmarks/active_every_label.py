"""What retraining after EVERY label would give the uncertain queue, against random order.

Not an order the app offers: the app's uncertain queue follows the classifier last trained
in the Classify tab, and training writes a score for every document (seconds at a million
rows), so `active_learning.py` retrains every `BATCH` labels. This measures the other
cadence from the literature (batch size 1) in memory, to tell whether the bar (at most
half of random order's labels) is out of reach of the queue's cadence or of uncertainty
itself. Same splits, same cold start (the first START documents of the app's random
queue, more while a class has fewer than two), the same model as `classifiers.train`
(its `_estimator`: balanced logistic regression, C=1) on the stored embeddings; after
each label both orders are refitted and scored on the same held-out half.
"""

from __future__ import annotations

import sys

import numpy as np

from active_learning import MAX_LABELS, START, TARGET, _median, split

ORDERS = ("random", "uncertain")


def simulate(ws, truth: dict[str, str], order: str, run: int, vectors: dict[str, np.ndarray]) -> dict:
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    from indexing.curate.classifiers.training import _estimator
    from indexing.curate.queue import labelling_queue

    pool, test = split(truth, run)
    shuffled = labelling_queue(ws, pool, f"al_every_{run}", "random", seed=run, limit=len(pool))
    X_pool = np.stack([vectors[i] for i in shuffled]).astype(np.float64)
    y_pool = np.array([truth[i] == "positive" for i in shuffled], dtype=np.int8)
    X_test = np.stack([vectors[i] for i in test]).astype(np.float64)
    y_test = np.array([truth[i] == "positive" for i in test])
    taken, curve, reached = [], [], None
    open_ = np.ones(len(shuffled), dtype=bool)
    with threadpool_limits(limits=1, user_api="blas"):
        while len(taken) < min(MAX_LABELS, len(shuffled)):
            counts = [int(y_pool[taken].sum()), len(taken) - int(y_pool[taken].sum())]
            if len(taken) < START or min(counts) < 2 or order == "random":
                pick = int(np.flatnonzero(open_)[0])  # the next of the random queue
                model = None
            else:
                model = _estimator(1.0).fit(X_pool[taken], y_pool[taken])
                candidates = np.flatnonzero(open_)
                p = model.predict_proba(X_pool[candidates])[:, 1]
                pick = int(candidates[np.argsort(np.abs(p - 0.5), kind="stable")[0]])
            taken.append(pick)
            open_[pick] = False
            counts = [int(y_pool[taken].sum()), len(taken) - int(y_pool[taken].sum())]
            if len(taken) < START or min(counts) < 2:
                continue
            model = _estimator(1.0).fit(X_pool[taken], y_pool[taken])
            auc = float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
            curve.append((len(taken), round(auc, 4)))
            if auc >= TARGET:
                reached = len(taken)
                break
    return {"order": order, "run": run, "labels_to_target": reached, "curve": curve}


def run_task(ws, task_name: str, truth: dict[str, str], runs: int) -> dict:
    from indexing.vectors import stored

    ids, matrix = stored.read_vectors(ws.store)
    wanted = {i: n for n, i in enumerate(ids.to_pylist()) if i in truth}
    vectors = {i: matrix[n] for i, n in wanted.items()}
    rows = {order: [] for order in ORDERS}
    for run in range(runs):
        for order in ORDERS:
            rows[order].append(simulate(ws, truth, order, run, vectors))
            print(f"  {task_name} run {run} {order}, retrained every label: {rows[order][-1]['labels_to_target']}",
                  file=sys.stderr)
    needed = {order: [r["labels_to_target"] for r in rows[order]] for order in ORDERS}
    medians = {order: _median(needed[order]) for order in ORDERS}
    return {"task": task_name, "target": TARGET, "start": START, "batch": 1, "runs": runs,
            "labels_to_target": needed, "median": medians,
            "ratio_of_medians": medians["uncertain"] / medians["random"] if medians["random"] else None,
            "curves": {order: [r["curve"] for r in rows[order]] for order in ORDERS}}


def markdown(rows: list[dict]) -> str:
    lines = ["| task | retrained every label: random order | uncertain | uncertain / random (medians) |",
             "|---|---|---|---|"]
    for row in rows:
        cells = [", ".join("-" if v is None else str(v) for v in row["labels_to_target"][o]) +
                 f"; **{row['median'][o]:.0f}**" for o in ORDERS]
        ratio = "n/a" if row["ratio_of_medians"] is None else f"{row['ratio_of_medians']:.2f}"
        lines.append(f"| {row['task']} | {cells[0]} | {cells[1]} | {ratio} |")
    return "\n".join(lines)
