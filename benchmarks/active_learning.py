"""How many labels each queue order needs to reach a ROC AUC, against random order.

Run by `benchmarks/seeds.py` (part `active`) on its indexed manual pages and their tasks
(`api`, `admin`). The curator is simulated with the ground truth the seeds benchmark
uses (the section the authors filed each page under): whatever document the queue puts
first, the simulated curator labels it with its true class.

A strategy (STRATEGIES) is the queue order of the cold start and the order after it,
each one an order of `indexing.curate.queue`: random, uncertain, uncertain_typical
(information density), representative (the centre of each k-means cluster of the
candidates that no label covers yet). One run, for a task and a random
seed `run`:

- the task's pages are split in half at random: a *pool* the queue draws from (the
  queue's candidates) and a *test* half the ROC AUC is measured on. The test half never
  changes within a run, so every strategy is judged on the same documents (measuring on
  "all the other pages" would favour the uncertain order, which labels the hard ones
  away);
- cold start: the first `START` documents of the start order (random: the seeded
  `labelling_queue(..., "random", seed=run)`, the same pages for every strategy that
  starts at random), more while a class has fewer than two labels (a classifier needs
  two of each);
- then `BATCH` documents at a time from the order after it; after each batch the
  classifier is retrained (`indexing.curate.classifiers.train`, as the Classify tab
  does) and scored on the test half. The app recomputes the representative queue after
  every label (it needs no classifier), so that order is followed one label at a time;
  the others only change when the classifier is retrained, so a batch is their first
  `BATCH` documents;
- the figure is the number of labels at the first retrain whose test ROC AUC reaches
  `TARGET` (None: not within `MAX_LABELS`).

Labels go through `workspace.labels.add` under a label of their own (`al_<task>`),
cleared at the end of each run. The result per task: the labels each run needed, the
median over runs of each strategy, its ratio to random order's (the bar: at most 0.5),
and every run's curve.
"""

from __future__ import annotations

import statistics
import sys

import numpy as np

TARGET = 0.90
START = 10  # cold-start labels, drawn by the strategy's start order
BATCH = 5  # labels between two retrains
MAX_LABELS = 300
RUNS = 10
# strategy -> (the queue order of the cold start, the queue order after it), each one of
# indexing/curate/queue.py; fixed before measuring. The Label tab offers all but
# uncertain_typical, which was measured worse than random order (README).
STRATEGIES = {
    "random": ("random", "random"),
    "uncertain": ("random", "uncertain"),
    "uncertain, typical": ("random", "uncertain_typical"),
    "representative": ("representative", "representative"),
    "representative, then uncertain": ("representative", "uncertain"),
    "representative, then uncertain, typical": ("representative", "uncertain_typical"),
}
ORDERS = tuple(STRATEGIES)


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


def _next(ws, label: str, pool: list[str], order: str, run: int, want: int) -> list[str]:
    """The first `want` documents of the queue in `order`, as the Label tab would show them."""
    from indexing.curate.queue import labelling_queue, uncertain, uncertain_typical

    if order == "uncertain":
        return uncertain(ws, label, pool, limit=want)
    if order == "uncertain_typical":
        return uncertain_typical(ws, label, pool, limit=want)
    return labelling_queue(ws, pool, label, order, seed=run, limit=want)


def simulate(ws, task_name: str, truth: dict[str, str], order: str, run: int,
             target: float = TARGET, max_labels: int = MAX_LABELS) -> dict:
    """One run of strategy `order` (a key of STRATEGIES): the labels it needed to reach `target`."""
    from sklearn.metrics import roc_auc_score

    from indexing.curate.classifiers import train

    label = f"al_{task_name}"
    stale = ws.labels.current(label)["doc_id"].to_pylist()
    if stale:  # a killed earlier run left its labels: start from none
        ws.labels.add(stale, label, None)
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
            start, then = STRATEGIES[order]
            now = start if cold else then
            if now == "representative":  # the app recomputes it after every label: one at a time
                batch = []
                for _ in range(want):
                    step = _next(ws, label, pool, now, run, 1)
                    _label(ws, label, step, truth)
                    batch += step
            else:
                batch = _next(ws, label, pool, now, run, want)
                _label(ws, label, batch, truth)
            if not batch:
                break
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


def run_task(ws, task_name: str, truth: dict[str, str], runs: int = RUNS, orders=ORDERS) -> dict:
    orders = ["random", *[o for o in orders if o != "random"]]  # the baseline of every ratio
    rows = {order: [] for order in orders}
    for run in range(runs):
        for order in orders:
            rows[order].append(simulate(ws, task_name, truth, order, run))
            print(f"  {task_name} run {run} {order}: {rows[order][-1]['labels_to_target']} labels to ROC AUC "
                  f"{TARGET}", file=sys.stderr)
    needed = {order: [r["labels_to_target"] for r in rows[order]] for order in orders}
    medians = {order: _median(needed[order]) for order in orders}
    ratio = {o: medians[o] / medians["random"] if medians["random"] else None for o in orders}
    per_run = {o: [u / r if u and r else None for u, r in zip(needed[o], needed["random"])] for o in orders}
    return {"task": task_name, "target": TARGET, "start": START, "batch": BATCH, "max_labels": MAX_LABELS,
            "runs": runs, "strategies": STRATEGIES, "labels_to_target": needed, "median": medians,
            "ratio_of_medians": ratio, "ratio_per_run": per_run, "bar": 0.5,
            "bar_met": {o: ratio[o] is not None and ratio[o] <= 0.5 for o in orders if o != "random"},
            "curves": {order: [r["curve"] for r in rows[order]] for order in orders}}


def markdown(rows: list[dict]) -> str:
    """One line per task and strategy: labels to TARGET per run; median; ratio to random."""
    lines = [f"| task | queue (cold start, then) | labels to ROC AUC {TARGET} per run; **median** | "
             "/ random (medians) |", "|---|---|---|---|"]
    for row in rows:
        for order in row["median"]:
            runs = ", ".join("-" if v is None else str(v) for v in row["labels_to_target"][order])
            ratio = row["ratio_of_medians"][order]
            lines.append(f"| {row['task']} | {order} | {runs}; **{row['median'][order]:.0f}** | "
                         f"{'n/a' if ratio is None else f'{ratio:.2f}'} |")
    return "\n".join(lines)
