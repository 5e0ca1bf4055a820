"""`check_recipe` finds every problem of a recipe at once, and a saved recipe round-trips.

A workspace (hash embedder, real LanceDB) with labels, a classifier, a dedup run and a map
is saved as a recipe once; each test copies it and breaks one thing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from indexing import classifiers, dedup
from indexing.errors import RecipeError
from indexing.recipes import Budget, Output, read_recipe, save_recipe, write_recipe
from indexing.recipes.check import check_recipe

WHERE = ("tokens >= 5 AND quality != 'bad' AND score_quality >= 0.2 AND dup_keep = true AND cluster >= 0 "
         "AND kind != 'nothing'")


@pytest.fixture(scope="module")
def saved(indexed_template, stdlib_rows, tmp_path_factory):
    folder = tmp_path_factory.mktemp("recipe")
    ws = indexed_template(stdlib_rows[:120], map=False, clusters=3).copy(folder)
    ids = ws.select()
    ws.labels.add(ids[:15], "quality", "good")
    ws.labels.add(ids[15:30], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    dedup.dedup(ws, "minhash")
    path, recipe = save_recipe(ws, folder / "clean.yaml", where=WHERE,
                               budget=Budget(2000, order_by="score_quality", balance_by="cluster"),
                               output=Output(format="parquet", columns=["id", "text", "score_quality"]))
    return path, recipe, ws


def _copy(saved, tmp_path: Path, edit=None) -> Path:
    """The saved recipe and its assets in tmp_path, its YAML changed by `edit(data)`."""
    path = saved[0]
    shutil.copytree(path.parent / "clean.assets", tmp_path / "clean.assets")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if edit is not None:
        edit(data)
    target = tmp_path / "clean.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def _problems(path: Path, load_model: bool = True) -> list[str]:
    with pytest.raises(RecipeError) as caught:
        check_recipe(path, load_model=load_model)
    problems = caught.value.problems
    assert str(caught.value).startswith(f"{path}: ")
    assert all(p.startswith(f"{path}: ") and p in str(caught.value) for p in problems)
    return problems


def test_a_saved_recipe_checks_with_its_model_and_is_what_read_gives(saved, tmp_path):
    path, recipe, _ = saved
    assert check_recipe(path) == read_recipe(path) == recipe
    assert recipe.reading.columns == {"kind": "string", "module": "string"}
    assert {u.name for u in recipe.classifiers} == {"quality"} and recipe.dedup and recipe.map and recipe.labels


def test_a_recipe_saved_read_and_written_again_is_identical(saved, tmp_path):
    path, recipe, _ = saved
    again = tmp_path / "clean.yaml"  # the same name: the same assets folder name in its paths
    write_recipe(read_recipe(path), again,
                 lambda folder: shutil.copytree(path.parent / "clean.assets", folder, dirs_exist_ok=True))
    assert again.read_bytes() == path.read_bytes()
    assert read_recipe(again) == recipe
    assert check_recipe(again) == recipe


def test_an_unknown_column_in_a_step_names_the_step_and_the_column(saved, tmp_path):
    def edit(data):
        data["filter"][5]["where"] = "knd != 'nothing'"

    [problem] = _problems(_copy(saved, tmp_path, edit))
    assert "filter[5] `knd != 'nothing'`" in problem and "unknown column 'knd'" in problem
    assert "kind, module" in problem  # the source columns it could have meant


@pytest.mark.parametrize("column, needs, drop", [
    ("score_other", "a classifier named 'other'", None),
    ("dup_keep", "a `dedup` section", "dedup"),
    ("cluster", "a `map`", "map"),
])
def test_a_column_that_needs_a_part_the_recipe_lacks_says_which(saved, tmp_path, column, needs, drop):
    def edit(data):
        if drop:
            data[drop] = None
            data["filter"] = [s for s in data["filter"] if column not in s["where"]]
            data["budget"]["balance_by"] = None  # balanced by cluster: another problem without the map
        data["filter"].append({"where": f"{column} IS NOT NULL", "about": None})

    [problem] = _problems(_copy(saved, tmp_path, edit))
    assert f"filter[{'5' if drop else '6'}]" in problem and f"unknown column {column!r}: it exists only with {needs}" \
        in problem


def test_a_step_that_does_not_parse_or_mistypes_a_column_is_reported(saved, tmp_path):
    def edit(data):
        data["filter"][0]["where"] = "tokens >>> 5"
        data["filter"][5]["where"] = "kind + 1 > 2"

    problems = _problems(_copy(saved, tmp_path, edit))
    assert len(problems) == 2
    assert "filter[0] `tokens >>> 5`" in problems[0] and "Available columns" not in problems[0]
    assert "filter[5]" in problems[1] and "Utf8" in problems[1]


def test_budget_dedup_and_output_columns_must_exist_and_rank_by_numbers(saved, tmp_path):
    def edit(data):
        data["budget"]["order_by"] = "kind"
        data["budget"]["balance_by"] = "nowhere"
        data["dedup"].update(keep="score", score_column="module")
        data["output"]["columns"] = ["id", "txet"]

    problems = _problems(_copy(saved, tmp_path, edit))
    assert len(problems) == 4
    assert "budget.order_by: column 'kind' holds string, not numbers" in problems[0]
    assert "budget.balance_by: unknown column 'nowhere'" in problems[1]
    assert "dedup.score_column: column 'module' holds string" in problems[2]
    assert "output.columns: unknown column 'txet'" in problems[3]


def test_missing_damaged_or_foreign_classifier_weights(saved, tmp_path):
    first = _copy(saved, tmp_path / "a")
    shutil.rmtree(tmp_path / "a" / "clean.assets" / "classifiers" / "quality")
    [problem] = _problems(first)
    assert "classifiers[0] (quality)" in problem and "weights folder" in problem and "is missing" in problem

    second = _copy(saved, tmp_path / "b")
    (tmp_path / "b" / "clean.assets" / "classifiers" / "quality" / "coef.npy").write_bytes(b"not numpy")
    [problem] = _problems(second)
    assert "coef.npy is damaged" in problem

    third = _copy(saved, tmp_path / "c")
    meta = tmp_path / "c" / "clean.assets" / "classifiers" / "quality" / "meta.json"
    meta.write_text(json.dumps(json.loads(meta.read_text()) | {"model": "hash:64"}))
    [problem] = _problems(third)
    assert "trained on hash:64 (32-d), but the recipe's model is hash:32 (32-d)" in problem


def test_missing_or_unreadable_labels_ids_and_map(saved, tmp_path):
    def edit(data):
        data["ids"] = "clean.assets/ids.parquet"

    path = _copy(saved, tmp_path, edit)
    assets = tmp_path / "clean.assets"
    pq.write_table(pa.table({"doc_id": ["a"], "topic": ["x"]}), assets / "labels.parquet")  # no 'quality'
    (assets / "ids.parquet").write_bytes(b"PAR1 but not really")
    np.savez(assets / "map.npz", vectors=np.zeros((3, 16), np.float32), x=np.zeros(3), y=np.zeros(3),
             cluster=np.zeros(3))
    problems = _problems(path)
    assert len(problems) == 3
    assert "labels.file:" in problems[0] and "has no column 'quality'" in problems[0]
    assert "ids:" in problems[1] and "not a readable Parquet table" in problems[1]
    assert "map:" in problems[2] and "expected (n, 32)" in problems[2]

    (assets / "labels.parquet").unlink()
    np.savez(assets / "map.npz", vectors=np.zeros((3, 32), np.float32))
    problems = _problems(path)
    assert "labels.parquet is missing" in problems[0] and "lacks x, y, cluster" in problems[2]


def test_a_model_that_differs_or_cannot_be_loaded(saved, tmp_path):
    def other_weights(data):
        data["model"]["fingerprint"] = "sha256:" + "0" * 64

    [problem] = _problems(_copy(saved, tmp_path / "a", other_weights))
    assert "model 'hash:32': the installed weights" in problem and "are not the ones the recipe was made with" \
        in problem
    check_recipe(tmp_path / "a" / "clean.yaml", load_model=False)  # without the model: nothing to compare

    def missing(data):
        data["model"]["name"] = str(tmp_path / "no-such-model")

    problems = _problems(_copy(saved, tmp_path / "b", missing))
    assert "trained on hash:32" in problems[0]  # the classifier's model is no longer the recipe's
    assert "cannot be loaded offline" in problems[-1] and "no-such-model" in problems[-1]


def test_every_problem_is_listed_in_one_error(saved, tmp_path):
    def edit(data):
        data["filter"][0]["where"] = "tokenz >= 5"
        data["output"]["columns"] = ["nope"]
        data["model"]["dimension"] = 33

    path = _copy(saved, tmp_path, edit)
    shutil.rmtree(tmp_path / "clean.assets" / "classifiers")
    problems = _problems(path)  # one error whose text holds them all
    assert len(problems) == 5
    for part in ("filter[0]", "output.columns", "classifiers[0]", "map:", "makes 32-d vectors, the recipe says 33"):
        assert sum(part in p for p in problems) == 1, part


def test_a_newer_recipe_or_bad_yaml_is_one_clear_error(saved, tmp_path):
    def newer(data):
        data["recipe_version"] = 99

    with pytest.raises(RecipeError, match="recipe_version 99 is newer than this Loupe reads"):
        check_recipe(_copy(saved, tmp_path / "a", newer))
    broken = tmp_path / "broken.yaml"
    broken.write_text("recipe_version: 1\nmodel: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecipeError, match=r"broken.yaml \(line \d+, column \d+\): not valid YAML"):
        check_recipe(broken)
