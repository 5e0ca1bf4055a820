"""Every export writes the recipe that reproduces it, inside its folder, before the rename."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from indexing import classifiers, export, select_budget
from indexing.recipes import Budget, Output, read_recipe, recipe_hash
from indexing.recipes.check import check_recipe

WHERE = "tokens >= 5 AND quality != 'bad' AND score_quality >= 0.3"


@pytest.fixture
def ws(indexed_workspace, stdlib_rows):
    workspace = indexed_workspace(stdlib_rows[:100], map=False, clusters=3)
    ids = workspace.select()
    workspace.labels.add(ids[:12], "quality", "good")
    workspace.labels.add(ids[12:24], "quality", "bad")
    classifiers.train(workspace, "quality", positive="good", negative="bad")
    return workspace


def _exported(result) -> list[str]:
    return [row["id"] for path in sorted(result.path.glob("part-*.parquet")) for row in pq.read_table(path).to_pylist()]


def test_the_recipe_holds_the_filter_classifier_labels_and_output_and_reselects_the_same_ids(ws):
    result = export(ws, "clean", where=WHERE, format="parquet", columns=["id", "text", "score_quality"],
                    shard_rows=40)
    manifest = result.manifest
    path = result.path / "recipe.yaml"
    assert manifest["recipe"] == "recipe.yaml" and manifest["recipe_problem"] is None
    assert manifest["recipe_hash"] == recipe_hash(path)
    assert json.loads((result.path / "manifest.json").read_text())["recipe_hash"] == recipe_hash(path)
    recipe = check_recipe(path)
    assert [s.where for s in recipe.filter] == ["tokens >= 5", "quality != 'bad'", "score_quality >= 0.3"]
    assert recipe.output == Output("parquet", ["id", "text", "score_quality"], 40)
    assert [u.weights for u in recipe.classifiers] == ["recipe.assets/classifiers/quality"]
    assert recipe.labels.file == "recipe.assets/labels.parquet" and recipe.ids is None and recipe.budget is None
    assert recipe.made_from["export"] == "clean"
    assert sorted(ws.select(recipe.where)) == sorted(_exported(result))  # the recipe's filter keeps what was written
    assert not list(result.path.parent.glob(".*tmp*"))


def test_ids_a_budget_chose_become_the_budget(ws):
    budget = Budget(3000, order_by="score_quality", balance_by="cluster")
    chosen = select_budget(ws, 3000, where=WHERE, order_by="score_quality", balance_by="cluster").ids
    by_itself = export(ws, "by-itself", where=WHERE, budget=budget, format="parquet")
    given = export(ws, "given", where=WHERE, ids=chosen, budget=budget, format="parquet")
    for result in (by_itself, given):
        assert sorted(_exported(result)) == sorted(chosen)
        recipe = read_recipe(result.path / "recipe.yaml")
        assert recipe.budget == budget and recipe.ids is None
        assert result.manifest["budget"] == {"tokens": 3000, "order_by": "score_quality", "descending": True,
                                             "balance_by": "cluster", "max_share": None, "seed": 0}
        assert not (result.path / "recipe.assets" / "ids.parquet").exists()


def test_other_explicit_ids_go_into_the_recipe_as_ids(ws):
    picked = ws.select("tokens >= 5")[:7]
    budget = Budget(3000, order_by="score_quality")
    for name, options in (("lasso", {}), ("not-the-budget", {"budget": budget})):
        result = export(ws, name, where=WHERE, ids=picked, **options)
        recipe = read_recipe(result.path / "recipe.yaml")
        assert recipe.ids == "recipe.assets/ids.parquet" and recipe.budget is None
        assert result.manifest["budget"] is None  # the budget no longer chooses these ids: they stay ids
        assert pq.read_table(result.path / recipe.ids)["id"].to_pylist() == picked


def test_an_export_no_recipe_can_hold_still_succeeds_and_says_why(ws):
    shutil.rmtree(ws.root / "classifiers" / "quality")  # score_quality stays, its classifier is gone
    result = export(ws, "orphan", where="score_quality >= 0.3")
    assert result.kept > 0
    assert result.manifest["recipe"] is None and result.manifest["recipe_hash"] is None
    assert "score_quality" in result.manifest["recipe_problem"] and "loupe train" in result.manifest["recipe_problem"]
    assert sorted(p.name for p in result.path.iterdir()) == ["manifest.json", "part-00000.jsonl"]


def test_default_columns_need_no_classifier_dedup_or_map(ws):
    result = export(ws, "rules", where="tokens >= 5")
    recipe = read_recipe(result.path / "recipe.yaml")
    assert recipe.output.columns is None and not recipe.classifiers and recipe.map is None and recipe.dedup is None
    assert not recipe.needs_vectors and not (result.path / "recipe.assets").exists()
    assert "score_quality" in result.manifest["columns"]  # the workspace's score is exported all the same
