"""What loading the model costs a server that keeps working: in a thread, or in a child process.

The app's server loads the model in the background (`app/warm.py`). This measures why that
load runs in a child process (`indexing/vectors/model_process.py`): the main thread does
server-like work (a Python loop and a numpy sort) in short slices for `--seconds`, while the
model's import runs nowhere (`none`), in a thread of the same process (`thread`), or in a child
process (`process`); it reports the slices done and the worst slice. Each mode runs in a fresh
interpreter, so torch is not already imported.

    .venv/bin/python benchmarks/model_gil.py            # the three modes, 9 s each
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

IMPORT = "import sentence_transformers"


def work(seconds: float) -> tuple[int, float]:
    import numpy as np

    values = np.random.default_rng(0).random(200_000)
    done, worst, started = 0, 0.0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        begun = time.perf_counter()
        sum(i * i for i in range(20_000))
        np.sort(values)
        worst = max(worst, time.perf_counter() - begun)
        done += 1
    return done, worst


def one_mode(mode: str, seconds: float) -> None:
    """Run in a fresh interpreter: the import in `mode`, the work here; prints one line."""
    if mode == "thread":
        threading.Thread(target=lambda: exec(IMPORT), daemon=True).start()
    elif mode == "process":
        subprocess.Popen([sys.executable, "-c", IMPORT])
    done, worst = work(seconds)
    print(f"{mode:8} {done:6,} slices in {seconds:g} s, worst slice {worst:.3f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=9.0)
    parser.add_argument("--mode", choices=["none", "thread", "process"], help="one mode, in this process")
    args = parser.parse_args()
    if args.mode:
        one_mode(args.mode, args.seconds)
        return
    for mode in ("none", "thread", "process"):
        subprocess.run([sys.executable, __file__, "--mode", mode, "--seconds", str(args.seconds)], check=True)


if __name__ == "__main__":
    main()
