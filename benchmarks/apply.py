"""`loupe apply`: documents per second with and without embedding, against index + export; peak memory.

Two parts, each apply in a fresh subprocess (so its time, CPU time and peak RSS are its own):

* **speed** on N real documents (default 3,000; `benchmarks/corpus.py`: standard-library
  records): the baseline is what a curator does without recipes, `Workspace.index` (real
  model, whole pipeline) plus `export(where=...)` of the same documents; that workspace
  then saves two recipes, applied to the same JSONL:
  - `rules`: a predicate over rule signals and language (no vectors; the model only counts tokens),
  - `classifier`: a logistic-regression classifier (docstrings good, function sources bad, 40 labels each) plus a rule
    (every document embedded with all-MiniLM-L6-v2).
  Reported: docs/s of each (the model loaded before the clock starts, its seconds reported
  apart), the ratio to the baseline, and cores used (CPU seconds / wall
  seconds of the apply call).
* **memory**: the rules recipe applied to M documents for each M in `--memory-sizes`
  (default 100k and 1M): real text, the standard-library records repeated, each copy with
  a unique id and a small variation (a short line appended naming the copy), written as
  JSONL under benchmarks/out/. Peak RSS of the apply process (`ru_maxrss`), docs/s and
  cores used.

Bars (printed with PASS/FAIL, never asserted): rules-only apply at least 1,000 docs/s per
core; peak memory within 20% from the smallest to the largest memory size.

    .venv/bin/python benchmarks/apply.py                                  # 3k speed, 100k and 1M memory
    .venv/bin/python benchmarks/apply.py --memory-sizes 20k,100k          # a quicker run
    .venv/bin/python benchmarks/apply.py --skip-speed --recipes-from DIR --memory-sizes 1m   # the long one alone
    .venv/bin/python benchmarks/apply.py --recipes-from DIR --memory-sizes ""   # speed again, same baseline
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from results import OUT, write_result  # noqa: E402  (benchmarks/results.py)

BAR_DOCS_PER_CORE = 1_000
BAR_MEMORY_GROWTH = 0.20
RULES_WHERE = "gopher_word_count >= 20 AND gopher_alpha_word_frac >= 0.5 AND lang_score >= 0.3"
CLASSIFIER_WHERE = "score_quality >= 0.5 AND gopher_word_count >= 20"
LABELS_PER_CLASS = 40


def _size(text: str) -> int:
    """10000, 10k, 100K, 1m -> int."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _usage() -> tuple[float, int]:
    """(CPU seconds so far, peak RSS in bytes) of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, own.ru_maxrss * 1024


# ---- workers: each in its own process, printing one JSON line ------------------------------


def _setup(args) -> dict:
    """The baseline (index + export, timed) on the speed corpus, then the two recipes."""
    from indexing import Workspace, classifiers
    from indexing.exports.export import export
    from indexing.recipes import save_recipe

    folder = Path(args.folder)
    ws = Workspace.create(folder / "ws", id_field="id", **({"model": args.model} if args.model else {}))
    t0 = time.perf_counter()
    ws.index([args.corpus])
    index_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    exported = export(ws, "baseline", where=RULES_WHERE)
    export_s = time.perf_counter() - t1
    docs = ws.docs(columns=["id", "kind"]).to_pylist()
    good = [d["id"] for d in docs if d["kind"].endswith("_doc")][:LABELS_PER_CLASS]
    bad = [d["id"] for d in docs if d["kind"] == "function_source"][:LABELS_PER_CLASS]
    ws.labels.add(good, "quality", "good")
    ws.labels.add(bad, "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    save_recipe(ws, folder / "rules.yaml", where=RULES_WHERE, overwrite=True)
    save_recipe(ws, folder / "classifier.yaml", where=CLASSIFIER_WHERE, overwrite=True)
    return {"index_seconds": round(index_s, 2), "export_seconds": round(export_s, 2),
            "baseline_seconds": round(index_s + export_s, 2), "baseline_kept": exported.kept}


def _apply(args) -> dict:
    from indexing.apply import apply_recipe
    from indexing.recipes.files import read_recipe
    from indexing.vectors.embedder import load_embedder

    loading = time.perf_counter()  # once per run, whatever its size: timed apart from the documents
    embedder = load_embedder(read_recipe(args.recipe).model.name)
    load_seconds = time.perf_counter() - loading
    cpu0, _ = _usage()
    t0 = time.perf_counter()
    result = apply_recipe(args.recipe, [args.corpus], args.out, embedder=embedder)
    wall = time.perf_counter() - t0
    cpu1, peak = _usage()
    documents = result.kept + result.removed
    return {"documents": documents, "kept": result.kept, "removed": result.removed, "seconds": round(wall, 2),
            "cpu_seconds": round(cpu1 - cpu0, 2), "cores_used": round((cpu1 - cpu0) / wall, 2),
            "docs_per_s": round(documents / wall, 1), "docs_per_s_per_core": round(documents / (cpu1 - cpu0), 1),
            "model_load_seconds": round(load_seconds, 2), "peak_rss_bytes": peak}


def _worker(args) -> None:
    result = _setup(args) if args.worker == "setup" else _apply(args)
    print("RESULT " + json.dumps(result), flush=True)


def _run_worker(kind: str, **options) -> dict:
    command = [sys.executable, __file__, "--worker", kind]
    for key, value in options.items():
        if value is not None:
            command += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"worker {kind} failed with exit status {done.returncode}")
    return json.loads(lines[-1][len("RESULT "):])


# ---- the inputs ----------------------------------------------------------------------------


def repeated_corpus(n: int, seed: int = 0) -> Path:
    """n documents of real text as JSONL: the standard-library records over and over, copy r
    of a record with id `<id>~r<r>` and the line `(copy r)` appended (r = 0 is the original;
    `stdlib_documents` gives about 23,000 records here, so 1M holds some 43 copies of each)."""
    from indexing.demo_corpus import stdlib_documents

    path = OUT / f"apply-repeated-{n}-s{seed}.jsonl"
    if path.exists():
        return path
    base = stdlib_documents(min(n, 100_000), seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for i in range(n):
            copy, record = divmod(i, len(base))
            row = dict(base[record])
            if copy:
                row["id"] = f"{row['id']}~r{copy}"
                row["text"] = f"{row['text']}\n(copy {copy})"
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    temporary.replace(path)
    return path


# ---- main ----------------------------------------------------------------------------------


def _speed(args, workdir: Path) -> dict:
    import corpus as bench_corpus  # benchmarks/corpus.py

    path, meta = bench_corpus.corpus(args.docs, args.seed)
    print(bench_corpus.describe(path, meta), flush=True)
    saved = workdir / "setup.json"  # an earlier run's baseline and recipes (--recipes-from): reused
    if saved.exists() and saved.read_text() and json.loads(saved.read_text()).get("corpus") == str(path):
        setup = json.loads(saved.read_text())
    else:
        setup = {**_run_worker("setup", corpus=path, folder=workdir, model=args.model), "corpus": str(path)}
        saved.write_text(json.dumps(setup))
    print(f"baseline index + export of {args.docs:,}: {setup['baseline_seconds']} s "
          f"(index {setup['index_seconds']} s, export {setup['export_seconds']} s)", flush=True)
    baseline_rate = args.docs / setup["baseline_seconds"]
    runs = {}
    for name in ("rules", "classifier"):
        run = _run_worker("apply", recipe=workdir / f"{name}.yaml", corpus=path, out=workdir / f"out-{name}",
                          model=args.model)
        run["ratio_to_baseline"] = round(run["docs_per_s"] / baseline_rate, 2)
        runs[name] = run
        print(f"apply {name:<10} {run['docs_per_s']:>8,.0f} docs/s on {run['cores_used']} cores "
              f"({run['docs_per_s_per_core']:,.0f} per core), x{run['ratio_to_baseline']} the baseline's "
              f"{baseline_rate:,.0f} docs/s; kept {run['kept']:,}", flush=True)
    return {"documents": args.docs, "baseline": {**setup, "docs_per_s": round(baseline_rate, 1)}, "apply": runs,
            "rules_where": RULES_WHERE, "classifier_where": CLASSIFIER_WHERE}


def _memory(args, workdir: Path, recipe: Path) -> dict:
    runs = {}
    for n in args.memory_sizes:
        path = repeated_corpus(n, args.seed)
        out = workdir / f"out-memory-{n}"
        run = _run_worker("apply", recipe=recipe, corpus=path, out=out, model=args.model)
        shutil.rmtree(out, ignore_errors=True)
        runs[n] = run
        print(f"memory {n:>9,}: peak RSS {run['peak_rss_bytes'] / 1e6:,.0f} MB, {run['docs_per_s']:,.0f} docs/s "
              f"on {run['cores_used']} cores ({run['docs_per_s_per_core']:,.0f} per core)", flush=True)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=_size, default=3_000, help="documents for the speed comparison")
    parser.add_argument("--memory-sizes", default="100k,1m", help="input sizes for the memory runs (comma-separated)")
    parser.add_argument("--model", default=None, help="default: the bundled all-MiniLM-L6-v2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-speed", action="store_true", help="memory runs only (recipes from --recipes-from)")
    parser.add_argument("--recipes-from", default=None,
                        help="the folder of an earlier run: its recipes (and baseline, same --docs) are reused")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", default=None, help="result JSON (default benchmarks/out/apply.json)")
    args = parser.parse_args(argv)
    args.memory_sizes = [_size(s) for s in args.memory_sizes.split(",") if s.strip()]
    workdir = Path(args.recipes_from or tempfile.mkdtemp(prefix="loupe-bench-apply-", dir=args.workdir))
    result: dict = {"model": args.model or "all-MiniLM-L6-v2", "workdir": str(workdir)}
    if not args.skip_speed:
        result["speed"] = _speed(args, workdir)
    memory = _memory(args, workdir, workdir / "rules.yaml")
    result["memory"] = {str(n): run for n, run in memory.items()}
    rates = [run["docs_per_s_per_core"] for run in memory.values()]
    rates += [result["speed"]["apply"]["rules"]["docs_per_s_per_core"]] if "speed" in result else []
    result["bars"] = {"rules_docs_per_s_per_core": min(rates)}
    print(f"bar: rules-only apply >= {BAR_DOCS_PER_CORE:,} docs/s per core: {min(rates):,.0f} -> "
          f"{'PASS' if min(rates) >= BAR_DOCS_PER_CORE else 'FAIL'}")
    if len(memory) > 1:
        peaks = [run["peak_rss_bytes"] for run in memory.values()]
        growth = max(peaks) / min(peaks) - 1
        result["bars"]["memory_growth"] = round(growth, 3)
        print(f"bar: peak memory within {BAR_MEMORY_GROWTH:.0%} from {min(memory):,} to {max(memory):,}: "
              f"{growth:+.1%} -> {'PASS' if growth <= BAR_MEMORY_GROWTH else 'FAIL'}")
    print(write_result("apply", result, args.out))


if __name__ == "__main__":
    if "--worker" in sys.argv:  # one measured run, started by _run_worker
        parsed = argparse.ArgumentParser()
        for flag in ("--worker", "--corpus", "--folder", "--recipe", "--out", "--model"):
            parsed.add_argument(flag)
        _worker(parsed.parse_args())
    else:
        main()
