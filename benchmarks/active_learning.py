"""How many labels the *uncertain* queue needs to reach a ROC AUC, against random order.

Run by `benchmarks/seeds.py` (part `active`) on its indexed manual pages and their tasks
(`api`, `admin`). The curator is simulated with the ground truth the seeds benchmark
uses (the section the authors filed each page under): whatever document the queue puts
first, the simulated curator labels it with its true class.

One run, for a task and a random seed `run`:

- the task's pages are split in half at random: a *pool* the queue draws from (the
  queue's candidates) and a *test* half the ROC AUC is measured on. The test half never
  changes within a run, so both orders are judged on the same documents (measuring on
  "all the other pages" would favour the uncertain order, which labels the hard ones
  away);
- cold start, identical for both orders: the first `START` documents of the random
  queue (`labelling_queue(..., "random", seed=run)`), more while a class has fewer
  than two labels (a classifier needs two of each);
- then `BATCH` documents at a time from the order under test: the random queue, or
  `indexing.curate.queue.uncertain` of the classifier trained on the labels so far;
  after each batch the classifier is retrained (`indexing.curate.classifiers.train`, as
  the Classify tab does) and scored on the test half;
- the figure is the number of labels at the first retrain whose test ROC AUC reaches
  `TARGET` (None: not within `MAX_LABELS`).

Labels go through `workspace.labels.add` under a label of their own (`al_<task>`),
cleared at the end of each run. The result per task: the labels each run needed, the
median over runs of each order, their ratio (the bar: at most 0.5), and every run's curve.
"""

from __future__ import annotations

import statistics
import sys

import numpy as np

TARGET = 0.90
START = 10  # cold-start labels, in random order, the same for both orders
BATCH = 5  # labels between two retrains
MAX_LABELS = 300
RUNS = 5
ORDERS = ("random", "uncertain")


def split(truth: dict[str, str], run: int) -> tuple[list[str], list[str]]:
    """(pool, test): the task's pages halved at random, seeded by `run`."""
    ids = sorted(truth)
    order = np.random.default_rng(10_000 + run).permutation(len(ids))
    half = len(ids) // 2
    return [ids[i] for i in order[:half]], [ids[i] for i in order[half:]]


def _label(ws, label: str, batch: list[str], truth: dict[str, str]) -> None:
    for value in ("positive", "negative"):
        chosen = [i for i in batch if truth[i] == value]
        if chosen:
            ws.labels.add(chosen, label, value)


def simulate(ws, task_name: str, truth: dict[str, str], order: str, run: int,
             target: float = TARGET, max_labels: int = MAX_LABELS) -> dict:
    """One run of `order` ("random" or "uncertain"): the labels it needed to reach `target`."""
    from sklearn.metrics import roc_auc_score

    from indexing.curate.classifiers import train
    from indexing.curate.queue import labelling_queue, uncertain

    label = f"al_{task_name}"
    pool, test = split(truth, run)
    test_truth = np.array([truth[i] == "positive" for i in test])
    labelled: list[str] = []
    curve: list[tuple[int, float]] = []
    reached = None
    try:
        while len(labelled) < max_labels:
            counts = [sum(truth[i] == v for i in labelled) for v in ("positive", "negative")]
            cold = len(labelled) < START or min(counts) < 2
            want = max(START - len(labelled), 1) if cold else BATCH
            if cold or order == "random":
                batch = labelling_queue(ws, pool, label, "random", seed=run, limit=want)
            else:
                batch = uncertain(ws, label, pool, limit=want)
            if not batch:
                break
            _label(ws, label, batch, truth)
            labelled += batch
            counts = [sum(truth[i] == v for i in labelled) for v in ("positive", "negative")]
            if len(labelled) < START or min(counts) < 2:
                continue
            clf = train(ws, label, positive="positive", negative="negative", name=label, seed=run)
            scored = ws.store.read_docs(columns=["id", clf.column]).to_pydict()
            score = dict(zip(scored["id"], scored[clf.column]))
            auc = float(roc_auc_score(test_truth, [score[i] for i in test]))
            curve.append((len(labelled), round(auc, 4)))
            if auc >= target:
                reached = len(labelled)
                break
    finally:
        if labelled:
            ws.labels.add(labelled, label, None)  # the next run starts from no labels
    return {"order": order, "run": run, "labels_to_target": reached, "curve": curve,
            "pool": len(pool), "test": len(test)}


def _median(values: list[int | None]) -> float | None:
    """The median, counting a run that never reached the target as MAX_LABELS (a lower bound)."""
    return float(statistics.median(MAX_LABELS if v is None else v for v in values)) if values else None


def run_task(ws, task_name: str, truth: dict[str, str], runs: int = RUNS) -> dict:
    rows = {order: [] for order in ORDERS}
    for run in range(runs):
        for order in ORDERS:
            rows[order].append(simulate(ws, task_name, truth, order, run))
            print(f"  {task_name} run {run} {order}: {rows[order][-1]['labels_to_target']} labels to ROC AUC "
                  f"{TARGET}", file=sys.stderr)
    needed = {order: [r["labels_to_target"] for r in rows[order]] for order in ORDERS}
    medians = {order: _median(needed[order]) for order in ORDERS}
    ratio = medians["uncertain"] / medians["random"] if medians["random"] else None
    per_run = [u / r if u and r else None for u, r in zip(needed["uncertain"], needed["random"])]
    return {"task": task_name, "target": TARGET, "start": START, "batch": BATCH, "max_labels": MAX_LABELS,
            "runs": runs, "labels_to_target": needed, "median": medians, "ratio_of_medians": ratio,
            "ratio_per_run": per_run, "bar": 0.5, "bar_met": ratio is not None and ratio <= 0.5,
            "curves": {order: [r["curve"] for r in rows[order]] for order in ORDERS}}


def markdown(rows: list[dict]) -> str:
    lines = [f"| task | labels to ROC AUC {TARGET}, random order (per run; median) | uncertain queue | "
             "uncertain / random (medians) |", "|---|---|---|---|"]
    for row in rows:
        cells = [", ".join("-" if v is None else str(v) for v in row["labels_to_target"][o]) +
                 f"; **{row['median'][o]:.0f}**" for o in ORDERS]
        ratio = "n/a" if row["ratio_of_medians"] is None else f"{row['ratio_of_medians']:.2f}"
        lines.append(f"| {row['task']} | {cells[0]} | {cells[1]} | {ratio} |")
    return "\n".join(lines)
