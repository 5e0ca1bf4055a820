"""A token budget on a real workspace (real model, LanceDB, FAISS clusters), exported and from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexing.curate.budget import select_budget
from indexing.exports.export import export

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def workspace(indexed_template, tmp_path_factory, stdlib_rows):
    template = indexed_template(stdlib_rows[:150], model=None, clusters=6)  # the real model
    ws = template.copy(tmp_path_factory.mktemp("budget-real"))
    assert ws.count() == 150 and ws.info()["ready"]
    return ws


def _loupe(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from app.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_an_exported_budget_holds_exactly_its_tokens(workspace, tmp_path):
    docs = workspace.docs(columns=["id", "tokens", "cluster"]).to_pylist()
    total = sum(d["tokens"] for d in docs)
    budget = total // 3
    chosen = select_budget(workspace, budget, order_by="chars", balance_by="cluster", max_share=0.3)
    assert 0 < chosen.tokens <= budget and chosen.docs == len(chosen.ids) == len(set(chosen.ids))
    assert chosen.candidates == 150 and chosen.candidate_tokens == total
    assert set(chosen.mix_before["cluster"]) == {str(d["cluster"]) for d in docs}

    result = export(workspace, "budget", ids=chosen.ids, format="jsonl", out=tmp_path / "budget")
    assert result.manifest["kept"] == {"documents": chosen.docs, "tokens": chosen.tokens}
    assert result.manifest["ids_given"] == chosen.docs
    rows = [json.loads(line) for f in sorted((tmp_path / "budget").glob("part-*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(chosen.ids)
    assert sum(r["tokens"] for r in rows) == chosen.tokens <= budget
    per_cluster: dict[int, int] = {}
    for row in rows:
        per_cluster[row["cluster"]] = per_cluster.get(row["cluster"], 0) + row["tokens"]
    assert max(per_cluster.values()) <= 0.3 * chosen.tokens
    assert chosen.mix_after["cluster"] == pytest.approx(
        {str(c): per_cluster.get(int(c), 0) / chosen.tokens for c in chosen.mix_before["cluster"]})


def test_loupe_budget_writes_ids_that_loupe_label_takes(workspace, tmp_path):
    ids_file = tmp_path / "picked" / "ids.txt"
    result = _loupe("budget", "-w", str(workspace.root), "--tokens", "3000", "--order-by", "tokens",
                    "--balance-by", "cluster", "--max-share", "0.5", "--out-ids", str(ids_file))
    assert result.returncode == 0, result.stderr
    assert "cluster: share of tokens" in result.stdout and "before" in result.stdout
    assert "budget 3,000" in result.stderr
    expected = select_budget(workspace, 3000, order_by="tokens", balance_by="cluster", max_share=0.5)
    assert ids_file.read_text(encoding="utf-8").splitlines() == expected.ids
    labelled = _loupe("label", "-w", str(workspace.root), "--name", "keep", "--value", "yes",
                      "--ids-file", str(ids_file))
    assert labelled.returncode == 0, labelled.stderr
    assert workspace.labels.counts() == {"keep": {"yes": expected.docs}}

    bad = _loupe("budget", "-w", str(workspace.root), "--tokens", "100", "--balance-by", "cluster", "--max-share", "2")
    assert bad.returncode == 1 and "(0, 1]" in bad.stderr
    unknown = _loupe("budget", "-w", str(workspace.root), "--tokens", "100", "--order-by", "score_nope")
    assert unknown.returncode == 1 and "not a docs column" in unknown.stderr
