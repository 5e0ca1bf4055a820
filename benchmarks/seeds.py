"""Evidence that seeds grow a classifier, and that dedup finds a known duplicate set.

Corpus: the manual pages installed on this machine (`benchmarks/manpages.py`: the Linux
man-pages project and the pages of the other installed Debian packages; nobody here wrote
them), labelled by the section their authors filed them under, plus 300 duplicates planted
on purpose (`benchmarks/planted.py`: 100 exact copies with case and whitespace changed, 100
with 2-5 words edited, 100 with sentences reordered and the last ones dropped). It is
indexed with the real default model (all-MiniLM-L6-v2), LanceDB and FAISS.

Seeds. Two binary tasks, each a label a curator could grow from seeds:

    api:   programming interfaces (sections 2 and 3) against commands (sections 1 and 8)
    admin: administration commands (section 8) against user commands (section 1)
    formats: file formats and configuration files (section 5, 6% of the pages) against every
           other page: a rare class, like most of what a curator hunts for

For N in 10, 20, 50, 100 seeds in total (N/2 of each class) and 5 random draws each, the
draw is labelled through `workspace.labels.add` (the previous draw cleared), a classifier is
trained with `indexing.curate.classifiers.train`, and the ROC AUC of the `score_<task>` column it
writes is measured on ALL the other documents of the two classes (never the seeds nor a
planted copy). The cross-validated ROC AUC that `train` reports from the seeds alone is
shown beside it. Mean and standard deviation over the draws.

Active learning (`benchmarks/active_learning.py`). How many labels each queue order (random,
uncertain, uncertain-typical, representative, and representative then uncertain) needs to
reach ROC AUC 0.90 on each task, against random order: the curator simulated with the same
ground truth, 10 random pool/test splits, the median labels of each order and their ratio to
random order's (the bar: at most half).

Dedup. `exact_groups` on the texts, `minhash_groups` on the texts (Jaccard threshold 0.8,
the default, and 0.6) and `semantic_groups` on the stored vectors (eps 0.05, cosine >= 0.95,
the default, and eps 0.1), all from `indexing.curate.dedup`, each on the whole corpus. Recall is `pairs_found` on the planted pairs,
per kind and in all; "pairs not planted" counts the other pairs the groups imply (real near
duplicates among the manual pages, or false positives; examples are kept in the JSON).

Writes benchmarks/out/seeds.json and prints markdown tables. The workspace is kept in
benchmarks/out/seeds-ws-<corpus key> and reused (indexing it is the slow part).

    .venv/bin/python benchmarks/seeds.py                 # a few minutes on 2 cores
    .venv/bin/python benchmarks/seeds.py --draws 2 --seeds 10 50
    .venv/bin/python benchmarks/seeds.py --parts active --out benchmarks/out/active.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:  # run as `python benchmarks/seeds.py` from anywhere
        sys.path.insert(0, path)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

import active_every_label  # noqa: E402
import active_learning  # noqa: E402
import manpages  # noqa: E402
import planted  # noqa: E402
from results import write_result  # noqa: E402

SEED_COUNTS = (10, 20, 50, 100)
DRAWS = 5
PER_KIND = 100
MINHASH_THRESHOLDS = (0.8, 0.6)  # the default, and a looser one
SEMANTIC_EPS = (0.05, 0.1)  # the default (cosine >= 0.95), and a looser one (>= 0.9)
PARTS = ("seeds", "active", "active-every-label", "dedup")


@dataclass(frozen=True)
class Task:
    name: str
    positive: tuple[str, ...]  # chapters
    negative: tuple[str, ...]
    description: str


TASKS = (
    Task("api", ("2", "3"), ("1", "8"), "programming interfaces (sections 2, 3) vs commands (1, 8)"),
    Task("admin", ("8",), ("1",), "administration commands (section 8) vs user commands (1)"),
    # A rare class, as most of what a curator hunts for is: 6% of the pages.
    Task("formats", ("5",), ("1", "2", "3", "4", "7", "8"), "file formats and configuration files (section 5) "
         "vs every other page"),
)


def write_corpus(records: list[dict], copies: list[dict], path: Path) -> None:
    if path.exists():
        return
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as sink:
        for record in [*records, *copies]:
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(temporary, path)


def build_workspace(corpus: Path, folder: Path):
    """The indexed workspace (real model); reused when a previous run completed it."""
    from indexing import Workspace

    ws = Workspace.create(folder, id_field="id", exist_ok=True)
    started = time.perf_counter()
    report = ws.index([str(corpus)])
    return ws, time.perf_counter() - started, report.rows_stored


# ---- seeds ---------------------------------------------------------------------


def run_task(ws, task: Task, truth: dict[str, str], seed_counts, draws: int) -> list[dict]:
    """truth: id -> "positive" / "negative" for the base documents of the task's classes."""
    from sklearn.metrics import roc_auc_score

    from indexing.curate.classifiers import train

    label = f"seed_{task.name}"
    positives = sorted(i for i, v in truth.items() if v == "positive")
    negatives = sorted(i for i, v in truth.items() if v == "negative")
    rows = []
    previous: list[str] = []
    for count in seed_counts:
        aucs, cv_aucs, seconds = [], [], []
        for draw in range(draws):
            rng = np.random.default_rng(1000 * count + draw)
            pos = list(rng.choice(positives, count // 2, replace=False))
            neg = list(rng.choice(negatives, count - count // 2, replace=False))
            if previous:
                ws.labels.add(previous, label, None)  # clear the last draw: one append
            ws.labels.add(pos, label, "positive")
            ws.labels.add(neg, label, "negative")
            previous = pos + neg
            started = time.perf_counter()
            clf = train(ws, label, positive="positive", negative="negative", name=task.name, seed=draw)
            seconds.append(time.perf_counter() - started)
            scored = ws.docs(columns=["id", clf.column]).to_pydict()
            seeds = set(previous)
            y, s = [], []
            for doc_id, score in zip(scored["id"], scored[clf.column]):
                if doc_id in truth and doc_id not in seeds:
                    y.append(truth[doc_id] == "positive")
                    s.append(score)
            aucs.append(float(roc_auc_score(y, s)))
            cv_aucs.append(clf.metrics.roc_auc)
        defined = [a for a in cv_aucs if a is not None]
        rows.append({
            "task": task.name, "seeds": count, "per_class": [count // 2, count - count // 2], "draws": draws,
            "evaluated_on": len(y), "roc_auc": aucs, "roc_auc_mean": statistics.mean(aucs),
            "roc_auc_std": statistics.stdev(aucs) if len(aucs) > 1 else 0.0,
            "cv_roc_auc": cv_aucs, "cv_roc_auc_mean": statistics.mean(defined) if defined else None,
            "cv_roc_auc_std": statistics.stdev(defined) if len(defined) > 1 else None,
            "train_seconds_mean": statistics.mean(seconds),
        })
        print(f"  {task.name} {count:>3} seeds: ROC AUC {rows[-1]['roc_auc_mean']:.3f} ± {rows[-1]['roc_auc_std']:.3f}"
              f" (cv {rows[-1]['cv_roc_auc_mean'] or float('nan'):.3f})", file=sys.stderr)
    if previous:
        ws.labels.add(previous, label, None)
    return rows


# ---- dedup ---------------------------------------------------------------------


def _pairs_in_groups(groups: np.ndarray) -> set[tuple[int, int]]:
    members: dict[int, list[int]] = {}
    for position, group in enumerate(groups.tolist()):
        if group >= 0:
            members.setdefault(group, []).append(position)
    return {(a, b) for rows in members.values() for i, a in enumerate(rows) for b in rows[i + 1:]}


def evaluate_dedup(name: str, setting: str, groups: np.ndarray, pairs: dict[str, np.ndarray], ids: list[str],
                   seconds: float, edits: dict[int, np.ndarray]) -> dict:
    from indexing.curate.dedup import pairs_found

    planted_set = {tuple(sorted(p)) for rows in pairs.values() for p in rows.tolist()}
    found = _pairs_in_groups(groups)
    other = sorted(found - planted_set)
    return {
        "method": name, "setting": setting, "seconds": seconds,
        "recall": {kind: pairs_found(groups, rows) for kind, rows in pairs.items()},
        "recall_all": pairs_found(groups, np.concatenate(list(pairs.values()))),
        "near_recall_by_edits": {str(k): pairs_found(groups, rows) for k, rows in sorted(edits.items())},
        "pairs_found": len(found), "pairs_not_planted": len(other),
        "examples_not_planted": [[ids[a], ids[b]] for a, b in other[:15]],
    }


def run_dedup(ws, pairs_by_id: dict[str, list[tuple[str, str]]], edits_of: dict[str, int]) -> list[dict]:
    from indexing.curate.dedup import exact_groups, minhash_groups, semantic_groups

    table = ws.docs(columns=["id", "text", "vector"])
    ids = table["id"].to_pylist()
    texts = table["text"].to_pylist()
    column = table["vector"].combine_chunks()
    vectors = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, column.type.list_size)
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    pairs = {kind: np.array([(position[a], position[b]) for a, b in rows], dtype=np.int64)
             for kind, rows in pairs_by_id.items()}
    edits: dict[int, list] = {}
    for a, b in pairs_by_id["near"]:
        edits.setdefault(edits_of[b], []).append((position[a], position[b]))
    edits = {k: np.array(v, dtype=np.int64) for k, v in edits.items()}
    methods = [("exact", "normalised text", lambda: exact_groups(texts))]
    methods += [("minhash", f"Jaccard >= {t}", lambda t=t: minhash_groups(texts, threshold=t)) for t in MINHASH_THRESHOLDS]
    methods += [("semantic", f"cosine >= {1 - e:.2f}", lambda e=e: semantic_groups(vectors, eps=e)) for e in SEMANTIC_EPS]
    results = []
    for name, setting, run in methods:
        started = time.perf_counter()
        groups = run()
        results.append(evaluate_dedup(name, setting, groups, pairs, ids, time.perf_counter() - started, edits))
        r = results[-1]
        print(f"  {name} ({setting}): recall {r['recall_all']:.3f}, pairs not planted {r['pairs_not_planted']}",
              file=sys.stderr)
    return results


# ---- report --------------------------------------------------------------------


def markdown(result: dict) -> str:
    lines = [f"Corpus: {result['corpus']['documents']:,} manual pages of this machine + "
             f"{result['corpus']['planted']} planted duplicates; model {result['model']}.", ""]
    lines += ["| task | seeds (per class) | ROC AUC on the other labelled pages | cross-validated on the seeds |",
              "|---|---|---|---|"]
    for task in result["tasks"]:
        for row in task["rows"]:
            cv = "n/a" if row["cv_roc_auc_mean"] is None else \
                f"{row['cv_roc_auc_mean']:.3f} ± {row['cv_roc_auc_std'] or 0:.3f}"
            lines.append(f"| {task['name']} ({task['positives']:,} vs {task['negatives']:,}) | {row['seeds']} "
                         f"({row['per_class'][0]}+{row['per_class'][1]}) | "
                         f"{row['roc_auc_mean']:.3f} ± {row['roc_auc_std']:.3f} | {cv} |")
    lines += ["", "| method | setting | exact copies | 2-5 words edited | reordered + truncated | all planted | "
              "pairs not planted | seconds |", "|---|---|---|---|---|---|---|---|"]
    for row in result["dedup"]:
        recall = row["recall"]
        lines.append(f"| {row['method']} | {row['setting']} | {recall['exact']:.0%} | {recall['near']:.0%} | "
                     f"{recall['reordered']:.0%} | {row['recall_all']:.0%} | {row['pairs_not_planted']} | "
                     f"{row['seconds']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ROC AUC against the number of seeds; dedup recall on planted duplicates")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEED_COUNTS), help="seed counts (total, half per class)")
    parser.add_argument("--draws", type=int, default=DRAWS, help="random draws per seed count")
    parser.add_argument("--per-kind", type=int, default=PER_KIND, help="planted copies of each kind")
    parser.add_argument("--workdir", type=Path, default=None, help="where the workspace goes")
    parser.add_argument("--out", type=Path, default=OUT / "seeds.json")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                        help="what to measure: seed counts, the active-learning queue (and retrained after "
                             "every label, in memory), dedup")
    parser.add_argument("--active-runs", type=int, default=active_learning.RUNS, help="random splits per task (active)")
    parser.add_argument("--tasks", nargs="+", choices=[t.name for t in TASKS], default=[t.name for t in TASKS],
                        help="which tasks to measure (seeds, active)")
    parser.add_argument("--orders", nargs="+", choices=active_learning.ORDERS, default=list(active_learning.ORDERS),
                        help="which queue strategies the active part compares (random is always run)")
    args = parser.parse_args(argv)
    if any(n < 2 for n in args.seeds) or args.draws < 1:
        parser.error("every seed count must be at least 2 and --draws at least 1")

    started = time.perf_counter()
    corpus_path = manpages.build()
    records = manpages.load(corpus_path)
    copies, pairs_by_id = planted.plant(records, args.per_kind, seed=0)
    key = corpus_path.stem.split("-", 1)[1]
    full = OUT / f"seeds-corpus-{key}-p{args.per_kind}.jsonl"
    write_corpus(records, copies, full)
    print(f"corpus: {len(records):,} manual pages + {len(copies)} planted copies -> {full}", file=sys.stderr)

    ws, index_seconds, stored = build_workspace(full, args.workdir or OUT / f"seeds-ws-{key}-p{args.per_kind}")
    chapter = {r["id"]: r["chapter"] for r in records}
    tasks, active, every_label = [], [], []
    for task in [t for t in TASKS if t.name in args.tasks]:
        truth = {i: "positive" if c in task.positive else "negative"
                 for i, c in chapter.items() if c in task.positive + task.negative}
        if "seeds" in args.parts:
            rows = run_task(ws, task, truth, args.seeds, args.draws)
            tasks.append({"name": task.name, "description": task.description,
                          "positives": sum(v == "positive" for v in truth.values()),
                          "negatives": sum(v == "negative" for v in truth.values()), "rows": rows})
        if "active" in args.parts:
            active.append(active_learning.run_task(ws, task.name, truth, args.active_runs, args.orders))
        if "active-every-label" in args.parts:
            every_label.append(active_every_label.run_task(ws, task.name, truth, args.active_runs))
    dedup = run_dedup(ws, pairs_by_id, {c["id"]: c["planted_edits"] for c in copies if c["planted_kind"] == "near"}) \
        if "dedup" in args.parts else []

    result = {
        "corpus": {"source": "manual pages under /usr/share/man (sections 1-8, gcloud_* left out), see "
                             "benchmarks/manpages.py", "file": str(corpus_path), "documents": len(records),
                   "planted": len(copies), "planted_per_kind": args.per_kind,
                   "chapters": json.loads(corpus_path.with_suffix(".meta.json").read_text())["chapters"]},
        "model": ws.state.model, "workspace": str(ws.root), "index_seconds": index_seconds, "rows_indexed": stored,
        "tasks": tasks, "active_learning": active,
        "active_every_label": every_label, "dedup": dedup, "seconds": time.perf_counter() - started,
    }
    write_result("seeds", result, args.out)
    print(markdown(result))
    if active:
        print("\n" + active_learning.markdown(active))
    if every_label:
        print("\n" + active_every_label.markdown(every_label))
    print(f"\nwritten {args.out} in {result['seconds']:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
