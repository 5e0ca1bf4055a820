"""`loupe apply` on the Ray engine against the local one: the same 20k-document apply, docs/s each.

The corpus is `benchmarks/apply.py`'s (`repeated_corpus`: the standard-library records,
each copy with its own id and a line naming the copy). The recipe is that benchmark's
`rules` recipe (rule signals and language; the real model counts tokens), or with
`--recipe classifier` its classifier recipe (every document embedded), saved from a
small workspace indexed with the real model (its fingerprint is the recipe's). Both
engines run in this process, one after the other, on the same files; the model is loaded
before the clock for the local engine, and a local Ray (`--cpus`, default 2) is started
before the clock for the Ray engine (its start is reported apart; its actors' model load is
part of the run, as it is for every run on a cluster).

Also measured, for the scaling on N workers: the serial share of a run, i.e. the part of
the local engine's wall time that is not per-chunk work a worker can take (everything
outside `Scorer.enrich` + `finish_scored` and pass 2's `task_output`: reading and
validating, field columns, the SQLite records, global dedup and budget, the shard writes).
Amdahl: speedup(W) = 1 / (s + (1 - s) / W).

    .venv/bin/python benchmarks/ray.py                 # 20,000 documents, 2 CPUs for Ray
    .venv/bin/python benchmarks/ray.py --docs 5k       # a quick check
    .venv/bin/python benchmarks/ray.py --docs 2k --recipe classifier   # every document embedded
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
# This file is named like the package it measures: benchmarks/ goes last on the path, so
# `import ray` is Ray and `import results`, `import apply` are the benchmarks' own modules.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]
sys.path.insert(0, str(HERE.parent))

import ray  # noqa: E402  (Ray itself, imported before benchmarks/apply.py puts benchmarks/ first again)
from results import write_result  # noqa: E402  (benchmarks/results.py)

WORKERS = (1, 2, 4, 8, 16, 64)


def _size(text: str) -> int:
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _recipe(folder: Path, kind: str) -> Path:
    """benchmarks/apply.py's recipe `kind` (rules, or classifier: every document embedded),
    from 200 documents indexed with the real model."""
    from apply import CLASSIFIER_WHERE, RULES_WHERE  # benchmarks/apply.py

    from indexing import Workspace, classifiers
    from indexing.demo_corpus import stdlib_documents, write_jsonl
    from indexing.recipes import save_recipe

    ws = Workspace.create(folder / "ws", id_field="id")
    write_jsonl(stdlib_documents(200, seed=1), folder / "small.jsonl")
    ws.index([folder / "small.jsonl"])
    if kind == "rules":
        return save_recipe(ws, folder / "rules.yaml", where=RULES_WHERE, overwrite=True)[0]
    docs = ws.docs(columns=["id", "kind"]).to_pylist()
    ws.labels.add([d["id"] for d in docs if d["kind"].endswith("_doc")][:20], "quality", "good")
    ws.labels.add([d["id"] for d in docs if d["kind"] == "function_source"][:20], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    return save_recipe(ws, folder / "classifier.yaml", where=CLASSIFIER_WHERE, overwrite=True)[0]


class _Timer:
    """Seconds spent in the functions a worker takes over (patched in for the local run)."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


def _kept_ids(out: Path) -> list[str]:
    return [json.loads(line)["id"] for f in sorted(glob.glob(f"{out}/part-*.jsonl")) for line in open(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=_size, default=20_000)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", choices=("rules", "classifier"), default="rules")
    args = parser.parse_args()

    import apply as bench_apply  # benchmarks/apply.py: the corpus

    import indexing.apply.output as output
    import indexing.apply.run as run
    from indexing.apply import apply_recipe
    from indexing.recipes.files import read_recipe
    from indexing.vectors.embedder import load_embedder

    load = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="loupe-ray-bench-"))
    try:
        corpus = bench_apply.repeated_corpus(args.docs, args.seed)
        recipe = _recipe(folder, args.recipe)
        embedder = load_embedder(read_recipe(recipe).model.name)
        runs = {}

        timer = _Timer()  # the local run, with the per-chunk work timed: the serial share
        enrich, finish, task_output = run.Scorer.enrich, run.finish_scored, output.task_output
        run.Scorer.enrich, run.finish_scored = timer.wrap(enrich), timer.wrap(finish)
        output.task_output = timer.wrap(task_output)
        try:
            started = time.perf_counter()
            result = apply_recipe(recipe, [str(corpus)], folder / "out-local", embedder=embedder)
            wall = time.perf_counter() - started
        finally:
            run.Scorer.enrich, run.finish_scored, output.task_output = enrich, finish, task_output
        documents = result.kept + result.removed
        serial = max(0.0, wall - timer.seconds) / wall
        runs["local"] = {"seconds": round(wall, 2), "docs_per_s": round(documents / wall, 1),
                         "worker_seconds": round(timer.seconds, 2), "kept": result.kept}
        print(f"local  {documents:,} docs in {wall:.1f} s: {documents / wall:,.0f} docs/s; "
              f"per-chunk work {timer.seconds:.1f} s, serial share {serial:.2f}", flush=True)

        started = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        ray_start = time.perf_counter() - started
        try:
            started = time.perf_counter()
            result = apply_recipe(recipe, [str(corpus)], folder / "out-ray", embedder=embedder, engine="ray")
            wall = time.perf_counter() - started
        finally:
            ray.shutdown()
        runs["ray"] = {"seconds": round(wall, 2), "docs_per_s": round(documents / wall, 1),
                       "ray_start_seconds": round(ray_start, 2), "kept": result.kept, "cpus": args.cpus}
        same = _kept_ids(folder / "out-local") == _kept_ids(folder / "out-ray")
        ratio = runs["ray"]["docs_per_s"] / runs["local"]["docs_per_s"]
        print(f"ray    {documents:,} docs in {wall:.1f} s: {documents / wall:,.0f} docs/s "
              f"(x{ratio:.2f} local; Ray started in {ray_start:.1f} s before the clock); same kept ids: {same}",
              flush=True)
        scaling = {w: round(1 / (serial + (1 - serial) / w), 2) for w in WORKERS}
        print("expected speedup over one worker (Amdahl, serial share %.2f): %s" % (
            serial, ", ".join(f"{w} workers x{s}" for w, s in scaling.items())), flush=True)
        print(f"load average before the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
        name = "ray" if args.recipe == "rules" else f"ray-{args.recipe}"
        write_result(name, {"documents": documents, "corpus": str(corpus),
                            "recipe": f"{args.recipe} (benchmarks/apply.py)",
                            "runs": runs, "ray_over_local": round(ratio, 2), "same_kept_ids": same,
                            "serial_share": round(serial, 3), "amdahl_speedup": scaling,
                            "load_average_before": [round(x, 1) for x in load],
                            "load_average_after": [round(x, 1) for x in os.getloadavg()]})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
