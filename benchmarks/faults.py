"""Fault injection, the long version of `tests/faults` (issue 8, sections 2.1 and 2.3).

Faults. For every command that writes a workspace (`index` of a new workspace, `refresh`:
`index` adding rows to a workspace with a saved classifier and a dedup run, `signals`,
`train`, `dedup`, `export`, and `label`: a loop of label actions), the uninterrupted run is
measured first; then, for each seed, the command starts on a copy of the same workspace
and its process group gets SIGKILL after a delay drawn from the seed within that
duration. The invariants of `tests/faults/invariants.py` are checked (the workspace
opens; no duplicate or missing row; no label lost or half-written; no partial export
visible), the command is run again, and its result must equal the uninterrupted run's
(same ids, same signal/score/dup columns, same labels, ready). Corpus: ~300 standard-library
docstrings with planted duplicates (`tests/faults/harness.corpora`), the "hash:32" test
embedder, the real `loupe` commands in children forked from a preloaded forkserver.

Concurrency. Two app sessions (Streamlit's AppTest of the real app, clicking a reader's
label buttons) and the `loupe label` command (typer's runner, in a loop) label one
workspace at once, `--actions` in all: lost actions and errors shown must both be 0.

    .venv/bin/python benchmarks/faults.py --seeds 20                 # everything
    .venv/bin/python benchmarks/faults.py --seeds 3 --commands refresh,label --actions 0

Prints a markdown table and writes benchmarks/out/faults.json; the lab (corpora and
template workspaces) is kept in benchmarks/out/faults-lab and reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from tests.faults.harness import SCENARIOS, Lab  # noqa: E402
from tests.faults.labellers import run_together  # noqa: E402
from benchmarks.results import write_result  # noqa: E402


def faults(lab: Lab, commands: list[str], seeds: int) -> list[dict]:
    rows = []
    for command in commands:
        reference = lab.reference(command)
        trials = []
        for seed in range(seeds):
            trial = lab.trial(command, seed)
            trials.append(trial)
            state = "mid-run" if trial.killed else "after the end"
            print(f"  {command} seed {seed}: kill at {trial.delay:.2f} s ({state}), "
                  f"{len(trial.problems)} problem(s), recovery {trial.recovery_seconds:.2f} s", flush=True)
            for problem in trial.problems:
                print(f"    {problem[:400]}", flush=True)
        recoveries = [t.recovery_seconds for t in trials if t.recovery_seconds]
        rows.append({
            "command": command, "seeds": seeds, "uninterrupted_s": round(reference.seconds, 2),
            "killed_mid_run": sum(t.killed for t in trials),
            "invariant_failures": sum(bool(t.problems) for t in trials),
            "mean_recovery_s": round(statistics.mean(recoveries), 2) if recoveries else None,
            "problems": {t.seed: t.problems for t in trials if t.problems},
        })
    return rows


def concurrency(lab: Lab, actions: int) -> dict:
    folder = lab.root / "runs" / "concurrency"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(lab.template("labelled"), folder / "ws")
    sixth = actions // 6
    report = run_together(folder / "ws", sixth, actions - 2 * sixth)
    return {"actions": report["actions"], "seconds": round(report["seconds"], 1),
            "lost": len(report["lost"]), "errors": len(report["errors"]),
            "examples": (report["lost"] + report["errors"])[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20, help="kills per command")
    parser.add_argument("--commands", default=",".join(SCENARIOS), help="comma-separated, of: " + ", ".join(SCENARIOS))
    parser.add_argument("--actions", type=int, default=1000, help="concurrent label actions in all (0: skip)")
    parser.add_argument("--lab", type=Path, default=HERE / "out" / "faults-lab")
    args = parser.parse_args()
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    unknown = [c for c in commands if c not in SCENARIOS]
    if unknown:
        parser.error(f"unknown command(s) {unknown}; choose from {', '.join(SCENARIOS)}")

    lab = Lab(args.lab)
    started = time.perf_counter()
    rows = faults(lab, commands, args.seeds)
    together = concurrency(lab, args.actions) if args.actions else None

    print("\n| command | seeds | uninterrupted run | kills landed mid-run | invariant failures | mean recovery |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        recovery = "-" if row["mean_recovery_s"] is None else f"{row['mean_recovery_s']:.2f} s"
        print(f"| {row['command']} | {row['seeds']} | {row['uninterrupted_s']:.2f} s | {row['killed_mid_run']} | "
              f"{row['invariant_failures']} | {recovery} |")
    if together:
        print(f"\nconcurrent labelling (2 app sessions + the CLI): {together['actions']:,} actions in "
              f"{together['seconds']:.1f} s; lost {together['lost']}, errors shown {together['errors']}")
        for example in together["examples"]:
            print(f"  {example[:400]}")
    out = write_result("faults", {"seconds": round(time.perf_counter() - started, 1),
                                  "faults": rows, "concurrency": together}, HERE / "out" / "faults.json")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
