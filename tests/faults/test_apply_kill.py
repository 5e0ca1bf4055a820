"""kill -9 at a random moment of `loupe apply`, then the same command again: its output must
equal an uninterrupted run's (the kept ids in order, every removed id with its reason, the
counts), and a manifest.json, the mark of a finished output, is only ever beside a whole one
(a kill after it was written, while the work folder is removed, leaves a finished run that
the same command tidies up)."""

from __future__ import annotations

import glob
import json
import random

import pytest

from tests.faults.harness import corpora, run_child

pytestmark = pytest.mark.integration
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """A recipe (labels, exact dedup, a budget) saved from a small workspace, its source, and
    the reference output of one uninterrupted `loupe apply` child (and how long it took)."""
    from indexing import Workspace, dedup
    from indexing.recipes import Budget, save_recipe
    from tests.helpers import write_jsonl

    root = tmp_path_factory.mktemp("apply-kill")
    rows, _ = corpora()
    source = write_jsonl(root / "a.jsonl", rows)
    ws = Workspace.create(root / "ws", id_field="id", model="hash:32")
    ws.index([source])
    ws.labels.add(ws.select()[:30], "quality", "bad")
    dedup.dedup(ws, "exact")
    recipe, _ = save_recipe(ws, root / "r.yaml", where="dup_keep = true AND quality != 'bad' AND tokens >= 5",
                            budget=Budget(6_000, order_by="chars"))
    reference = _run(root, recipe, source, root / "reference")
    assert reference.returncode == 0, reference.log
    return root, recipe, source, reference.seconds


def _argv(recipe, source, out) -> list[str]:
    return ["apply", str(recipe), str(source), "--out", str(out), "--chunk-size", "16", "-q"]


def _run(root, recipe, source, out, kill_after=None):
    return run_child("run_cli", (_argv(recipe, source, out),), root / f"{out.name}.log", kill_after=kill_after)


def _output(out) -> tuple[list[str], list[tuple[str, str, str]], dict]:
    kept = [json.loads(line)["id"] for f in sorted(glob.glob(f"{out}/part-*.jsonl")) for line in open(f)]
    removed = [(r["id"], r["reason"], r["reason_value"]) for f in sorted(glob.glob(f"{out}/removed/part-*.jsonl"))
               for r in map(json.loads, open(f))]
    manifest = json.loads((out / "manifest.json").read_text())
    return kept, removed, {k: manifest[k] for k in ("kept", "removed", "read", "budget")}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_apply_resumes_to_the_uninterrupted_output(applied, seed):
    root, recipe, source, seconds = applied
    out = root / f"killed-{seed}"
    killed = _run(root, recipe, source, out, kill_after=random.Random(seed).uniform(0.05, seconds))
    if (out / "manifest.json").exists():  # the mark of a finished run: then its output is whole already
        assert _output(out) == _output(root / "reference"), f"killed={killed.killed}: a manifest over a partial output"
    again = _run(root, recipe, source, out)
    assert again.returncode == 0, again.log
    assert _output(out) == _output(root / "reference")
    assert not (out / ".work").exists()
