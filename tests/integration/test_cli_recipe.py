"""`loupe recipe save|show|check` and `loupe export --budget` as a user runs them.

A hash-embedder workspace for the commands' logic, and one with the real bundled model,
whose weights `loupe recipe check` loads and compares.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from indexing import classifiers
from indexing.recipes import Budget, read_recipe

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
WHERE = "tokens >= 5 AND quality != 'bad' AND score_quality >= 0.3"


def loupe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def _clean(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def ws(indexed_template, stdlib_rows, tmp_path_factory):
    workspace = indexed_template(stdlib_rows[:100], map=False, clusters=3).copy(tmp_path_factory.mktemp("cli"))
    ids = workspace.select()
    workspace.labels.add(ids[:12], "quality", "good")
    workspace.labels.add(ids[12:24], "quality", "bad")
    classifiers.train(workspace, "quality", positive="good", negative="bad")
    return workspace


def test_save_show_and_check(ws, tmp_path):
    path = tmp_path / "clean.yaml"
    saved = loupe("recipe", "save", "-w", ws.root, "--where", WHERE, "--budget", 3000, "--order-by", "score_quality",
                  "--format", "parquet", "--columns", "id,text", "--shard-rows", 500, "-o", path)
    assert saved.returncode == 0, saved.stderr
    assert f"saved {path}" in _clean(saved) and "3. Keeps documents where `score_quality >= 0.3`" in saved.stdout
    recipe = read_recipe(path)
    assert recipe.budget == Budget(3000, order_by="score_quality")
    assert (recipe.output.format, recipe.output.columns, recipe.output.shard_rows) == ("parquet", ["id", "text"], 500)
    assert (path.parent / "clean.assets" / "classifiers" / "quality" / "coef.npy").is_file()

    shown = loupe("recipe", "show", path)
    assert shown.returncode == 0 and shown.stdout == saved.stdout  # the same words, one per line
    checked = loupe("recipe", "check", path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == (f"ok: {path}: 3 filter steps, 1 classifier, no dedup, a budget; "
                                      "model hash:32 matches")

    again = loupe("recipe", "save", "-w", ws.root, "--where", "tokens >= 5", "-o", path)
    assert again.returncode == 1 and "already exists" in _clean(again) and "--force" in again.stderr
    forced = loupe("recipe", "save", "-w", ws.root, "--where", "tokens >= 5", "-o", path, "--force")
    assert forced.returncode == 0 and [s.where for s in read_recipe(path).filter] == ["tokens >= 5"]


def test_check_lists_every_problem_and_exits_1(ws, tmp_path):
    path = tmp_path / "clean.yaml"
    assert loupe("recipe", "save", "-w", ws.root, "--where", WHERE, "-o", path).returncode == 0
    data = yaml.safe_load(path.read_text())
    data["filter"][0]["where"] = "tokenz >= 5"
    data["model"]["fingerprint"] = "sha256:" + "0" * 64
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "clean.assets" / "labels.parquet").unlink()
    checked = loupe("recipe", "check", path)
    assert checked.returncode == 1
    text = _clean(checked)
    assert f"error: {path}: 3 problems:" in text
    assert "filter[0] `tokenz >= 5`: unknown column 'tokenz'" in text
    assert "labels.parquet is missing" in text and "are not the ones the recipe was made with" in text
    no_model = loupe("recipe", "check", path, "--no-model")
    assert no_model.returncode == 1 and "2 problems" in _clean(no_model)
    shown = loupe("recipe", "show", tmp_path / "missing.yaml")
    assert shown.returncode == 1 and "no such recipe file" in _clean(shown)


def test_save_from_an_export_copies_its_recipe_or_rebuilds_an_older_one(ws, tmp_path):
    out = tmp_path / "export"
    exported = loupe("export", "-w", ws.root, "--out", out, "--where", WHERE, "--budget", 2000,
                     "--order-by", "score_quality", "--format", "parquet")
    assert exported.returncode == 0, exported.stderr
    assert f"the recipe that reproduces it: {out / 'recipe.yaml'}" in _clean(exported)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["budget"]["tokens"] == 2000 and manifest["recipe"] == "recipe.yaml"

    copied = tmp_path / "copy.yaml"
    result = loupe("recipe", "save", "--from-export", out, "-o", copied)
    assert result.returncode == 0, result.stderr
    original, copy = read_recipe(out / "recipe.yaml"), read_recipe(copied)
    assert copy.classifiers[0].weights == "copy.assets/classifiers/quality"
    assert copy.labels.file == "copy.assets/labels.parquet"
    assert (copy.filter, copy.budget, copy.output, copy.model) == (original.filter, original.budget, original.output,
                                                                   original.model)
    assert loupe("recipe", "check", copied, "--no-model").returncode == 0

    # an export from before recipes: its manifest's predicate is rebuilt
    (out / "recipe.yaml").unlink()
    shutil.rmtree(out / "recipe.assets")
    older = {k: v for k, v in manifest.items() if not k.startswith("recipe") and k != "budget"} | {"ids_given": None}
    (out / "manifest.json").write_text(json.dumps(older))
    rebuilt = tmp_path / "rebuilt.yaml"
    result = loupe("recipe", "save", "--from-export", out, "-o", rebuilt)
    assert result.returncode == 0, result.stderr
    recipe = read_recipe(rebuilt)
    assert [s.where for s in recipe.filter] == [s.where for s in original.filter] and recipe.output.format == "parquet"
    (out / "manifest.json").write_text(json.dumps(older | {"ids_given": 12}))
    refused = loupe("recipe", "save", "--from-export", out, "-o", tmp_path / "ids.yaml")
    assert refused.returncode == 1 and "explicit list of 12 ids" in _clean(refused)


def test_usage_errors_exit_2(ws, tmp_path):
    both = loupe("recipe", "save", "-w", ws.root, "--where", "tokens > 1", "--from-export", tmp_path, "-o",
                 tmp_path / "r.yaml")
    assert both.returncode == 2 and "either --where" in _clean(both)
    lonely = loupe("recipe", "save", "-w", ws.root, "--where", "tokens > 1", "--order-by", "tokens", "-o",
                   tmp_path / "r.yaml")
    assert lonely.returncode == 2 and "give --budget TOKENS" in _clean(lonely)
    bad = loupe("recipe", "save", "-w", ws.root, "--where", "tokens >>> 1", "-o", tmp_path / "r.yaml")
    assert bad.returncode == 1 and "bad selection" in _clean(bad) and not (tmp_path / "r.yaml").exists()


def test_check_loads_the_real_model_and_compares_its_weights(indexed_template, stdlib_rows, tmp_path):
    real = indexed_template(stdlib_rows[:30], model=None, map=False, clusters=2)
    path = tmp_path / "real.yaml"
    assert loupe("recipe", "save", "-w", real.path, "--where", "tokens >= 5", "-o", path).returncode == 0
    model = read_recipe(path).model
    assert model.dimension == 384 and "all-MiniLM-L6-v2" in model.name
    checked = loupe("recipe", "check", path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().endswith(f"; model {model.name} matches")
    data = yaml.safe_load(path.read_text())
    data["model"]["fingerprint"] = "sha256:" + "1" * 64
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    mismatch = loupe("recipe", "check", path)
    assert mismatch.returncode == 1 and "are not the ones the recipe was made with" in _clean(mismatch)
