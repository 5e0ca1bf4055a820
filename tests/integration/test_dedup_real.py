"""Dedup on real documents: the real model, LanceDB and FAISS, driven through `loupe dedup`.

A standard-library corpus gets planted duplicates: copies with only their whitespace
changed (exact duplicates after normalisation) and copies with a sentence added (near
duplicates). Each method runs from the command line; then the filter `dup_keep = true`
must drop exactly the members that were not kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexing import Workspace
from indexing.curate.dedup import groups_table, last_run, normalise

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
ADDED = "\nThis copy of the documentation was mirrored from another site."
BASE_DOCS = 150
PLANTED = 4  # of each kind


def loupe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


@pytest.fixture(scope="module")
def corpus(stdlib_rows):
    """(rows, exact pairs, near pairs): pairs of (original id, copy id)."""
    rows = [dict(r) for r in stdlib_rows[:BASE_DOCS]]
    # bases: prose of a few hundred characters, whose added sentence stays inside the model's window
    bases = [r for r in rows if r["kind"] != "function_source" and 400 <= len(r["text"]) <= 1500
             and _words(r["text"]) >= 60][: 2 * PLANTED]
    assert len(bases) == 2 * PLANTED
    exact, near = [], []
    for i, base in enumerate(bases):
        copy = dict(base)
        if i < PLANTED:
            copy["id"] = f"{base['id']}#spaced"
            copy["text"] = "  " + base["text"].replace("\n", " \n\t").replace(" ", "  ") + "\n\n"
            exact.append((base["id"], copy["id"]))
        else:
            copy["id"] = f"{base['id']}#added"
            copy["text"] = base["text"] + ADDED
            near.append((base["id"], copy["id"]))
        rows.append(copy)
    return rows, exact, near


@pytest.fixture(scope="module")
def workspace(indexed_template, tmp_path_factory, corpus):
    rows, _, _ = corpus
    template = indexed_template(rows, model=None)  # the real default model
    assert template.report.rows_stored == len(rows)
    ws = template.copy(tmp_path_factory.mktemp("dedup-real"))
    assert ws.info()["ready"] and ws.state.dimension == 384
    return ws


def _state(ws: Workspace) -> dict[str, tuple]:
    table = ws.docs(columns=["id", "text", "chars", "dup_group", "dup_keep"])
    return {r["id"]: r for r in table.to_pylist()}


def _run(ws: Workspace, method: str, *extra: str) -> dict[str, dict]:
    result = loupe("dedup", "-w", str(ws.root), "--method", method, *extra)
    assert result.returncode == 0, result.stderr
    assert "removed (dup_keep = false)" in result.stderr
    reopened = Workspace.open(ws.root)
    assert last_run(reopened)["method"] == method
    return _state(reopened)


def _check_keep_filter(ws: Workspace, state: dict[str, dict]) -> None:
    """`dup_keep = true` keeps every document but the non-kept members, one per group."""
    dropped = {i for i, r in state.items() if r["dup_keep"] is False}
    assert all(r["dup_keep"] is not None for r in state.values())
    assert set(Workspace.open(ws.root).select("dup_keep = true")) == set(state) - dropped
    groups: dict[int, list[dict]] = {}
    for row in state.values():
        if row["dup_group"] is not None:
            groups.setdefault(row["dup_group"], []).append(row)
        else:
            assert row["dup_keep"] is True
    for members in groups.values():
        assert len(members) >= 2 and sum(m["dup_keep"] for m in members) == 1
        kept = next(m for m in members if m["dup_keep"])
        assert kept["chars"] == max(m["chars"] for m in members)  # --keep longest (the default)
    assert len(dropped) == sum(len(m) - 1 for m in groups.values())
    assert last_run(Workspace.open(ws.root))["removed"] == len(dropped)
    # the planted copies plus the few duplicates the standard library really has, not a merge of topics
    assert PLANTED <= len(dropped) <= 0.2 * len(state)


def _together(state, pairs) -> list[bool]:
    return [state[a]["dup_group"] is not None and state[a]["dup_group"] == state[b]["dup_group"] for a, b in pairs]


def test_exact_finds_the_whitespace_copies_only(workspace, corpus):
    _, exact, near = corpus
    state = _run(workspace, "exact")
    assert all(_together(state, exact))
    assert not any(_together(state, near))
    groups: dict[int, set[str]] = {}
    for row in state.values():  # every group, planted or found in the stdlib, is truly the same text
        if row["dup_group"] is not None:
            groups.setdefault(row["dup_group"], set()).add(normalise(row["text"]))
    assert all(len(texts) == 1 for texts in groups.values())
    for original, copy in exact:  # the padded copy is longer, so it is the one kept
        assert state[copy]["dup_keep"] and not state[original]["dup_keep"]
    _check_keep_filter(workspace, state)


def test_minhash_finds_both_kinds_of_copies(workspace, corpus):
    _, exact, near = corpus
    state = _run(workspace, "minhash", "--threshold", "0.8")
    assert all(_together(state, exact + near))
    _check_keep_filter(workspace, state)
    table = groups_table(Workspace.open(workspace.root), limit=100)
    planted = {i for pair in exact + near for i in pair}
    assert planted <= set(table["id"].to_pylist())


def test_semantic_finds_both_kinds_of_copies(workspace, corpus):
    _, exact, near = corpus
    ws = Workspace.open(workspace.root)
    docs = ws.docs(columns=["id", "vector"])
    position = {i: p for p, i in enumerate(docs["id"].to_pylist())}
    vectors = np.stack(docs["vector"].to_numpy(zero_copy_only=False))
    cosines = [float(vectors[position[a]] @ vectors[position[b]]) for a, b in near]
    assert min(cosines) >= 0.95, cosines  # the planted near copies are near in meaning too
    state = _run(workspace, "semantic")
    assert all(_together(state, exact + near))
    assert last_run(Workspace.open(workspace.root))["threshold"] == 0.95
    _check_keep_filter(workspace, state)


def test_cli_rejects_a_missing_score_column(workspace):
    result = loupe("dedup", "-w", str(workspace.root), "--method", "exact", "--keep", "score")
    assert result.returncode == 1 and "needs a score column" in result.stderr
