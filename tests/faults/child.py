"""What a fault-injection child runs: a `loupe` command, or a loop of label actions.

This module is the forkserver's preload (see `harness.runner`): it imports everything
heavy once, so a child forked from the server starts in about 0.1 s instead of several
seconds, and a kill lands in the command's work rather than in its imports. The server
only imports; it never opens a table, so nothing is mid-operation when it forks.

Each child makes itself a process group (`os.setsid`) before it says it is ready, so
the harness kills it and anything it started with one `killpg(SIGKILL)`.
"""

from __future__ import annotations

import os
import sys
import warnings

# numba's OpenMP layer cannot survive a fork (GNU OpenMP aborts the child); its own
# workqueue layer can. Set before anything imports numba.
os.environ["NUMBA_THREADING_LAYER"] = "workqueue"

# The forkserver only imports lancedb and never uses it before forking: its runtime is
# idle, which is the case its fork warning says is safe.
warnings.filterwarnings("ignore", message="lancedb fork support")

import app.cli  # noqa: E402,F401  (registers every command, as `python -m app.cli` does)
import indexing.curate.classifiers  # noqa: E402,F401
import indexing.curate.dedup  # noqa: E402,F401
import indexing.exports.export  # noqa: E402,F401
import indexing.signals.compute  # noqa: E402,F401
from indexing import Workspace  # noqa: E402



def _warm_the_map() -> None:
    """Compile UMAP's numba functions here, once: each forked child inherits them, so the
    map stage of a 300-row `index` takes a second, not half a minute of JIT compiling
    in every child (which would draw nearly every kill into the compiler)."""
    import numpy as np

    from indexing.vectors.projection import project

    project(np.random.default_rng(0).random((80, 8)).astype(np.float32))


_warm_the_map()


def _start(log: str, ready) -> None:
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    ready.set()


def run_cli(argv: list[str], log: str, ready) -> None:
    """`loupe ARGV...`, exactly as `python -m app.cli ARGV...` runs it (exit code included)."""
    _start(log, ready)
    sys.argv = ["loupe", *argv]
    app.cli.main()


def run_labels(workspace: str, plan: list[tuple[list[str], str | None]], log: str, ready) -> None:
    """One `labels.add` per planned action, as the app's label buttons call it; after each
    returns, `committed <index> <action id>` is written (so the harness knows which
    actions the child saw committed before the kill)."""
    _start(log, ready)
    labels = Workspace.open(workspace).labels
    for index, (ids, value) in enumerate(plan):
        action = labels.add(ids, "quality", value, author="faults")
        sys.stdout.write(f"committed {index} {action}\n")
        sys.stdout.flush()


def build_template(root: str, kind: str, log: str, ready) -> None:
    """A template workspace of the lab at ROOT (`harness.build_template`)."""
    from tests.faults.harness import build_template as build

    _start(log, ready)
    build(root, kind)
