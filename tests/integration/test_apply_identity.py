"""Identity with the real model: a workspace's recipe applied to its own sources keeps exactly
the ids of the export it came from (rules only; a classifier threshold; labels excluded;
exact and MinHash dedup; a budget), through the recipe.yaml the export wrote and `loupe apply`
as a user runs it."""

from __future__ import annotations

import glob
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import cli
from indexing import classifiers, dedup, export, select_budget
from indexing.recipes import Budget

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def curated(indexed_template, stdlib_rows, tmp_path_factory):
    template = indexed_template(stdlib_rows, model=None, map=False, clusters=5)
    ws = template.copy(tmp_path_factory.mktemp("identity"))
    functions = ws.select("kind = 'function_doc'")
    others = ws.select("kind != 'function_doc'")
    ws.labels.add(functions[:20], "quality", "good")
    ws.labels.add(others[:20], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    scores = ws.docs(columns=["score_quality"])["score_quality"].to_numpy()
    threshold = classifiers.percentile_threshold(scores, 0.4)  # a cut at some document's own score
    return ws, str(template.path.parent / "docs.jsonl"), threshold


def _ids(folder) -> list[str]:
    return [json.loads(line)["id"] for f in sorted(glob.glob(f"{folder}/part-*.jsonl")) for line in open(f)]


def _apply(recipe, source, out) -> None:
    result = CliRunner().invoke(cli, ["apply", str(recipe), source, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("case", ["rules", "classifier", "labels", "exact", "minhash", "budget"])
def test_the_recipe_of_an_export_keeps_its_ids(curated, tmp_path, case):
    ws, source, threshold = curated
    where = {
        "rules": "tokens >= 30 AND gopher_mean_word_length <= 8 AND lang = 'en'",
        "classifier": f"score_quality >= {threshold!r}",
        "labels": "quality != 'bad' AND tokens >= 10",
        "exact": "dup_keep = true AND tokens >= 10",
        "minhash": "dup_keep = true",
        "budget": f"score_quality >= {threshold!r} AND quality != 'bad'",
    }[case]
    if case in ("exact", "minhash"):
        dedup.dedup(ws, case)
    budget = Budget(20_000, order_by="score_quality") if case == "budget" else None
    exported = export(ws, f"e-{case}", where=where, budget=budget)  # writes the recipe that reproduces it
    if budget is not None:
        chosen = set(select_budget(ws, budget.tokens, where=where, order_by="score_quality").ids)
        assert set(_ids(exported.path)) == chosen
    _apply(exported.path / "recipe.yaml", source, tmp_path / "out")
    assert _ids(tmp_path / "out") == _ids(exported.path)
    assert 0 < len(_ids(exported.path)) < ws.count()
    if case == "classifier":  # the frozen threshold is a document's own score: its vector came back the same
        assert np.isclose(threshold, ws.docs(columns=["score_quality"])["score_quality"].to_numpy()).any()
