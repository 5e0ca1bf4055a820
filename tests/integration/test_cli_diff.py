"""`loupe diff` on two real exports of a workspace indexed with the real model: it names exactly
the documents the two predicates differ by, and a folder that is not a run is one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexing import diff_runs, export
from indexing.exports.diff import NO_REASON

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
LOOSE, STRICT = "tokens >= 30", "tokens >= 60 OR kind = 'function_doc'"
EVERY = 100_000  # examples per group: all of them


def loupe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


@pytest.fixture(scope="module")
def runs(indexed_template, stdlib_rows, tmp_path_factory):
    """The real model's workspace, its docs, and three exports: LOOSE (parquet, with removed/),
    STRICT (jsonl, with removed/) and STRICT again (hf, without removed/)."""
    folder = tmp_path_factory.mktemp("diff")
    ws = indexed_template(stdlib_rows[:150], model=None).copy(folder)
    docs = ws.docs().select(["id", "tokens", "cluster", "lang", "kind"]).to_pylist()
    loose = export(ws, where=LOOSE, format="parquet", include_removed=True, shard_rows=40, out=folder / "loose").path
    strict = export(ws, where=STRICT, format="jsonl", include_removed=True, out=folder / "strict").path
    strict_hf = export(ws, where=STRICT, format="hf", out=folder / "strict-hf").path
    return docs, loose, strict, strict_hf


def _ids(change) -> set[str]:
    return {doc for group in change.by_reason for doc in group.examples}


def test_diff_names_exactly_the_documents_the_predicates_differ_by(runs):
    docs, loose, strict, strict_hf = runs
    in_loose = {d["id"] for d in docs if d["tokens"] >= 30}
    in_strict = {d["id"] for d in docs if d["tokens"] >= 60 or d["kind"] == "function_doc"}
    tokens = {d["id"]: d["tokens"] for d in docs}
    dropped, gained = in_loose - in_strict, in_strict - in_loose
    assert dropped and gained and in_loose & in_strict  # the corpus makes every part of the diff

    change = diff_runs(loose, strict, examples=EVERY)
    assert (change.a.documents, change.b.documents) == (len(in_loose), len(in_strict))
    assert change.a.tokens == sum(tokens[i] for i in in_loose) and change.b.tokens == sum(tokens[i] for i in in_strict)
    assert _ids(change.removed) == dropped and _ids(change.added) == gained
    assert change.removed.tokens == sum(tokens[i] for i in dropped)
    assert change.added.tokens == sum(tokens[i] for i in gained)
    assert change.unchanged == {"documents": len(in_loose & in_strict),
                                "tokens": sum(tokens[i] for i in in_loose & in_strict)}
    # both exports hold their complement under removed/, without a reason
    assert [g.group for g in change.removed.by_reason] == [NO_REASON] == [g.group for g in change.added.by_reason]
    for breakdown, column in (("by_cluster", "cluster"), ("by_lang", "lang")):
        expected: dict = {}
        for d in docs:
            if d["id"] in dropped:
                key = None if d[column] is None else str(d[column])
                expected[key] = expected.get(key, 0) + 1
        assert {g.group: g.documents for g in getattr(change.removed, breakdown)} == expected

    without_removed = diff_runs(loose, strict_hf, examples=EVERY)
    assert [g.group for g in without_removed.removed.by_reason] == ["not in B"]
    assert _ids(without_removed.removed) == dropped and _ids(without_removed.added) == gained
    assert diff_runs(strict, strict_hf).as_dict()["removed"]["documents"] == 0


def test_the_command_prints_the_summary_and_the_json(runs):
    docs, loose, strict, _ = runs
    expected = diff_runs(loose, strict).as_dict()
    human = loupe("diff", str(loose), str(strict), "-q")
    assert human.returncode == 0, human.stderr
    a, b = expected["a"], expected["b"]
    assert human.stdout.splitlines()[0] == (f"A: {a['documents']:,} kept ({a['tokens']:,} tokens) -> "
                                            f"B: {b['documents']:,} kept ({b['tokens']:,} tokens)")
    for title in ("removed (kept in A, not in B)", "removed, by cluster", "removed, by language",
                  "added (kept in B, not in A)", "added, by cluster"):
        assert title in human.stdout
    machine = loupe("diff", str(loose), str(strict), "--json", "--examples", "2")
    assert machine.returncode == 0, machine.stderr
    assert json.loads(machine.stdout) == diff_runs(loose, strict, examples=2).as_dict()
    assert machine.stderr == ""


def test_a_folder_that_is_not_a_run_is_one_clear_line(runs, tmp_path):
    _, loose, _, _ = runs
    (tmp_path / "plain").mkdir()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text('{"format": "parquet", ')
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"format": "parquet"}')
    (broken / "part-00000.parquet").write_text("not parquet at all")
    cases = [
        (tmp_path / "nowhere", "does not exist"),
        (tmp_path / "plain", "has no manifest.json, so it is not an export or an applied output"),
        (damaged, "manifest.json is not valid JSON"),
        (broken, "part-00000.parquet cannot be read as Parquet"),
    ]
    for folder, says in cases:
        result = loupe("diff", str(loose), str(folder), "-q")
        assert result.returncode == 1, (folder, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: B: {folder}") and says in lines[0], result.stderr
    usage = loupe("diff", str(loose))
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
