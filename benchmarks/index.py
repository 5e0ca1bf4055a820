"""The whole index (`Workspace.index`) on N real documents: time per stage, and peak memory.

For each size, in a fresh subprocess (so that memory is that size's alone):
``Workspace.create(tmp, model=..., id_field="id").index([corpus.jsonl])``, then

* seconds per stage (``report.seconds``: load model, ingest, signals, embed, text_index,
  faiss, project, cluster), the wall seconds of ``index()`` and each stage's share of it;
* peak memory: the worker's peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``; the largest
  child's too, if it had any) and the peak of the whole process tree's RSS polled with
  psutil from outside every 0.1 s; "peak" is the larger of the two.

The corpus is real text (benchmarks/corpus.py): the standard library with its tests
(about 66,000 records), filled up from site-packages past that.

Bars (printed, never asserted): peak memory under 4 GB (4e9 bytes) at 100k documents; no
stage other than embedding takes more than a quarter of the total.

Note: ingest and signals run in a prefetch thread alongside embed, so the stages can add
up to more than the wall time.

    .venv/bin/python benchmarks/index.py                               # 10k and 100k (full run)
    .venv/bin/python benchmarks/index.py --docs 500 --model hash:64    # quick dry run
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

STAGES = ("load model", "ingest", "signals", "embed", "text_index", "faiss", "project", "cluster")
MEMORY_BAR_BYTES = 4_000_000_000
MEMORY_BAR_AT = 100_000
SHARE_BAR = 0.25
POLL_SECONDS = 0.1


def _size(text: str) -> int:
    """10000, 10k, 100K, 1m -> int."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


# ---- the worker: one size, in its own process -------------------------------------------


def worker(args) -> None:
    started = time.perf_counter()
    from indexing.workspace.workspace import Workspace

    import_seconds = time.perf_counter() - started
    workdir = Path(tempfile.mkdtemp(prefix="loupe-bench-index-", dir=args.workdir))
    try:
        ws = Workspace.create(workdir / "ws", model=args.model, id_field="id")
        t0 = time.perf_counter()
        report = ws.index([args.corpus], device=args.device)
        wall = time.perf_counter() - t0
        info = ws.info()
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "model": info["model"],
        "dimension": info["dimension"],
        "rows_read": report.rows_read,
        "rows_stored": report.rows_stored,
        "rows_rejected": report.rows_rejected,
        "rejected": dict(report.rejected),
        "clusters": info["clusters"],
        "bytes_on_disk": info["bytes"]["total"],
        "seconds": {k: round(v, 4) for k, v in report.seconds.items()},
        "index_wall_seconds": round(wall, 4),
        "import_seconds": round(import_seconds, 3),
        # Linux reports ru_maxrss in KiB (macOS in bytes).
        "ru_maxrss_self_bytes": self_usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
        "ru_maxrss_children_bytes": child_usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
        "cpu_seconds": round(self_usage.ru_utime + self_usage.ru_stime, 2),
    }
    Path(args.result).write_text(json.dumps(result, indent=2) + "\n")


# ---- the parent: corpus, subprocess, memory polling, table --------------------------------


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def measure(n: int, args) -> dict:
    import psutil

    import corpus as bench_corpus  # benchmarks/corpus.py

    path, meta = bench_corpus.corpus(n, args.seed, stdlib_limit=args.stdlib_limit)
    print(bench_corpus.describe(path, meta), flush=True)
    fd, result_file = tempfile.mkstemp(prefix="loupe-bench-index-", suffix=".json")
    os.close(fd)
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker",
        "--corpus", str(path), "--model", args.model, "--device", args.device,
        "--result", result_file,
    ]
    if args.workdir:
        command += ["--workdir", args.workdir]
    if args.keep:
        command.append("--keep")
    print(f"indexing {meta['docs']:,} docs with {args.model} in a fresh process ...", flush=True)
    started = time.perf_counter()
    child = subprocess.Popen(command)
    proc = psutil.Process(child.pid)
    peak_tree = 0
    try:
        while child.poll() is None:
            try:
                peak_tree = max(peak_tree, _tree_rss(proc))
            except psutil.NoSuchProcess:
                pass
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        child.terminate()
        child.wait()
        raise
    process_wall = time.perf_counter() - started
    try:
        if child.returncode != 0:
            raise SystemExit(f"the worker for {n:,} docs failed with exit status {child.returncode}")
        result = json.loads(Path(result_file).read_text())
    finally:
        os.unlink(result_file)

    peak = max(result["ru_maxrss_self_bytes"], result["ru_maxrss_children_bytes"], peak_tree)
    wall = result["index_wall_seconds"]
    seconds = result["seconds"]
    shares = {stage: (seconds[stage] / wall if wall else 0.0) for stage in seconds}
    worst = max(((s, v) for s, v in shares.items() if s != "embed"), key=lambda sv: sv[1], default=("-", 0.0))
    return {
        "docs": meta["docs"],
        "docs_asked": n,
        "corpus": {"path": str(path), **{k: v for k, v in meta.items() if k != "cached"}},
        **result,
        "process_wall_seconds": round(process_wall, 3),
        "docs_per_second": round(meta["docs"] / wall, 1) if wall else None,
        "shares": {k: round(v, 4) for k, v in shares.items()},
        "stage_sum_seconds": round(sum(seconds.values()), 4),
        "peak_tree_rss_polled_bytes": peak_tree,
        "peak_rss_bytes": peak,
        "bars": {
            "memory": {
                "applies": meta["docs"] >= MEMORY_BAR_AT,
                "limit_bytes": MEMORY_BAR_BYTES,
                "meets": peak < MEMORY_BAR_BYTES,
            },
            "stage_share": {
                "limit": SHARE_BAR,
                "largest_other_stage": worst[0],
                "largest_other_share": round(worst[1], 4),
                "meets": worst[1] <= SHARE_BAR,
            },
        },
    }


def _gb(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.2f} GB"


def print_table(results: list[dict]) -> None:
    sizes = [r["docs"] for r in results]
    width = 18
    rule = "-" * (16 + width * len(sizes))
    print(rule)
    print(f"{'stage':<16}" + "".join(f"{f'{n:,} docs':>{width}}" for n in sizes))
    print(f"{'':<16}" + "".join(f"{'seconds':>9} {'share':>6}  " for _ in sizes))
    print(rule)
    stages = list(STAGES) + sorted({s for r in results for s in r["seconds"]} - set(STAGES))
    for stage in stages:
        cells = []
        for r in results:
            if stage in r["seconds"]:
                flag = " !" if stage != "embed" and r["shares"][stage] > SHARE_BAR else "  "
                cells.append(f"{r['seconds'][stage]:>9.2f} {100 * r['shares'][stage]:>5.1f}%{flag}")
            else:
                cells.append(f"{'-':>9} {'':>6}  ")
        print(f"{stage:<16}" + "".join(f"{c:>{width}}" for c in cells))
    print(rule)

    def num(value: float, unit: str = "", digits: int = 2) -> str:
        return f"{value:>9,.{digits}f} {unit:<8}"  # 18 characters, like a stage's cell

    rows = [
        ("stage sum", lambda r: num(r["stage_sum_seconds"])),
        ("index() wall", lambda r: f"{r['index_wall_seconds']:>9.2f} {'100.0%':>6}  "),
        ("process wall", lambda r: num(r["process_wall_seconds"])),
        ("docs/s (wall)", lambda r: num(r["docs_per_second"] or 0.0, digits=0)),
        ("peak RSS", lambda r: num(r["peak_rss_bytes"] / 1e9, "GB")),
        ("  ru_maxrss", lambda r: num(r["ru_maxrss_self_bytes"] / 1e9, "GB")),
        ("  tree, polled", lambda r: num(r["peak_tree_rss_polled_bytes"] / 1e9, "GB")),
        ("on disk", lambda r: num(r["bytes_on_disk"] / 1e6, "MB", 1)),
    ]
    for label, cell in rows:
        print(f"{label:<16}" + "".join(f"{cell(r):>{width}}" for r in results))
    print(rule)
    print("(ingest and signals overlap embed in a prefetch thread, so the stage sum can exceed the wall; "
          "'!' marks a non-embedding stage over a quarter of the wall)")
    for r in results:
        mem, share = r["bars"]["memory"], r["bars"]["stage_share"]
        applies = "" if mem["applies"] else f"  (the bar is for {MEMORY_BAR_AT:,} docs; shown for reference)"
        print(f"{r['docs']:,} docs: peak memory {_gb(r['peak_rss_bytes'])} vs bar < {_gb(MEMORY_BAR_BYTES)}: "
              f"{'meets it' if mem['meets'] else 'OVER the bar'}{applies}")
        print(f"{r['docs']:,} docs: largest non-embedding stage: "
              f"{share['largest_other_stage']} {100 * share['largest_other_share']:.1f}% vs bar <= "
              f"{100 * SHARE_BAR:.0f}%: {'meets it' if share['meets'] else 'OVER the bar'}")
        if r["rows_rejected"]:
            print(f"  rejected {r['rows_rejected']:,}: {r['rejected']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Loupe's whole index: seconds per stage and peak memory")
    parser.add_argument("--docs", nargs="+", type=_size, default=[10_000, 100_000],
                        help="sizes, each in its own process (default 10000 100000; 10k, 100k work)")
    parser.add_argument("--model", default=None,
                        help="model (default the bundled all-MiniLM-L6-v2; hash:64 for a dry run "
                             "of the non-embedding stages)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--workdir", help="where the temporary workspaces go (default: the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspaces")
    parser.add_argument("--out", default=str(HERE / "out" / "index.json"), help="the JSON result")
    parser.add_argument("--stdlib-limit", type=int,
                        help="take at most this many docs from the standard library, the rest from "
                             "site-packages (to try the site-packages part on a small run)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.model is None:
        from indexing.vectors.embedder import DEFAULT_MODEL

        args.model = DEFAULT_MODEL
    if args.worker:
        worker(args)
        return

    results = []
    for n in args.docs:
        results.append(measure(n, args))
    print_table(results)
    from results import write_result  # benchmarks/results.py (the worker above never writes one)

    out = write_result("index", {
        "model": args.model,
        "device": args.device,
        "bars": {"memory_bytes_below": MEMORY_BAR_BYTES, "memory_at_docs": MEMORY_BAR_AT,
                 "max_share_other_than_embed": SHARE_BAR},
        "sizes": results,
    }, args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
