"""`loupe apply` with the hashing embedder: the same ids as the workspace, reasons, resume, refusals.

The identity with the real model is tests/integration/test_apply_identity.py; here every
combination runs in seconds on real LanceDB and the real engine.
"""

from __future__ import annotations

import glob
import json

import pytest

from indexing import Workspace, classifiers, dedup, select_budget
from indexing.apply import apply_recipe
from indexing.errors import LoupeError, RecipeError
from indexing.recipes import Budget, Output, save_recipe
from indexing.vectors.embedder import load_embedder


@pytest.fixture(scope="module")
def curated(indexed_template, stdlib_rows, tmp_path_factory):
    """A workspace with labels, a classifier and a MinHash dedup, and its source file."""
    template = indexed_template(stdlib_rows, map=False, clusters=4)
    ws = template.copy(tmp_path_factory.mktemp("curated"))
    ids = ws.select()
    ws.labels.add(ids[:25], "quality", "good")
    ws.labels.add(ids[25:50], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    return ws, str(template.path.parent / "docs.jsonl")


def _kept(out) -> list[str]:
    return [json.loads(line)["id"] for f in sorted(glob.glob(f"{out}/part-*.jsonl")) for line in open(f)]


def _apply(recipe, source, out, **options):
    return apply_recipe(recipe, [source], out, embedder=load_embedder("hash:32"), **options)


@pytest.mark.parametrize("where, method", [
    ("tokens >= 20 AND gopher_mean_word_length <= 10", None),
    ("quality != 'bad'", None),
    ("score_quality >= 0.6 AND tokens > 10", None),
    ("dup_keep = true AND tokens > 5", "exact"),
    ("dup_keep = true", "minhash"),
    ("dup_keep = true AND quality = ''", "semantic"),
])
def test_apply_keeps_what_the_workspace_selects(curated, tmp_path, where, method):
    ws, source = curated
    if method:
        dedup.dedup(ws, method)
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where=where)
    result = _apply(path, source, tmp_path / "out")
    assert _kept(tmp_path / "out") == ws.select(where)
    assert result.kept == len(ws.select(where)) and result.kept + result.removed == ws.count()


@pytest.mark.parametrize("budget", [Budget(15_000, order_by="score_quality"), Budget(12_000, balance_by="kind"),
                                    Budget(9_000, seed=3)])
def test_apply_with_a_budget_takes_the_budgets_choice(curated, tmp_path, budget):
    ws, source = curated
    where = "quality != 'bad'"
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where=where, budget=budget)
    result = _apply(path, source, tmp_path / "out")
    chosen = set(select_budget(ws, budget.tokens, where=where, order_by=budget.order_by,
                               balance_by=budget.balance_by, seed=budget.seed).ids)
    assert _kept(tmp_path / "out") == [i for i in ws.select(where) if i in chosen]
    assert result.manifest["removed"]["by_reason"]["budget"]["documents"] > 0


def test_an_explicit_selection_is_kept_as_ids(curated, tmp_path):
    ws, source = curated
    ids = ws.select("tokens > 30")[5:40]
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens > 50", ids=ids)
    result = _apply(path, source, tmp_path / "out")
    assert _kept(tmp_path / "out") == ws.select("tokens > 50", ids=ids)
    assert "not among the recipe's ids" in result.manifest["removed"]["by_reason"]


def test_every_removed_document_has_its_first_failing_step_and_value(curated, tmp_path):
    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40 AND quality != 'bad'")
    result = _apply(path, source, tmp_path / "out")
    removed = [json.loads(line) for f in sorted(glob.glob(f"{tmp_path}/out/removed/part-*.jsonl")) for line in open(f)]
    assert len(removed) == result.removed > 0
    for row in removed:
        if row["tokens"] < 40:
            assert row["reason"] == "tokens >= 40" and row["reason_value"] == f"tokens={row['tokens']}"
        else:
            assert row["reason"] == "quality != 'bad'" and row["reason_value"] == "quality=bad"
    counts = result.manifest["removed"]["by_reason"]
    assert sum(c["documents"] for c in counts.values()) == result.removed
    assert {r["id"] for r in removed} | set(_kept(tmp_path / "out")) == set(ws.select())


def test_a_killed_run_resumes_to_the_same_output(curated, tmp_path, monkeypatch):
    ws, source = curated
    dedup.dedup(ws, "exact")
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="dup_keep = true AND tokens > 8",
                          budget=Budget(20_000, order_by="chars"))
    _apply(path, source, tmp_path / "whole", chunk_size=37)
    from indexing.apply.work import WorkFolder

    real, calls = WorkFolder.commit_task, []

    def dies_at_the_fifth(self, task, *args):
        calls.append(task.name)
        if len(calls) == 5:
            raise KeyboardInterrupt  # as a kill between the task's file and its record
        return real(self, task, *args)

    monkeypatch.setattr(WorkFolder, "commit_task", dies_at_the_fifth)
    with pytest.raises(KeyboardInterrupt):
        _apply(path, source, tmp_path / "resumed", chunk_size=37)
    assert not (tmp_path / "resumed" / "manifest.json").exists()
    with pytest.raises(RecipeError, match="chunk_size"):  # a resume must be the same run
        _apply(path, source, tmp_path / "resumed")
    result = _apply(path, source, tmp_path / "resumed", chunk_size=37)
    assert calls.count(calls[4]) == 2 and len(calls) > 6  # the fifth task again, not the first four
    assert _kept(tmp_path / "resumed") == _kept(tmp_path / "whole")
    whole = json.loads((tmp_path / "whole" / "manifest.json").read_text())
    assert result.manifest["removed"] == whole["removed"] and result.manifest["kept"] == whole["kept"]
    assert not (tmp_path / "resumed" / ".work").exists()


def test_dry_run_counts_and_writes_nothing(curated, tmp_path):
    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40")
    result = apply_recipe(path, [source], None, dry_run=True, embedder=load_embedder("hash:32"))
    assert result.out is None and result.kept == ws.count("tokens >= 40")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]


def test_limit_and_sample_take_what_they_say(curated, tmp_path):
    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 0")
    assert _apply(path, source, tmp_path / "a", limit=50).manifest["read"]["records"] == 50
    sampled = _apply(path, source, tmp_path / "b", sample=60, seed=4)
    assert sampled.manifest["read"]["records"] == 60
    assert _kept(tmp_path / "b") == [i for i in ws.select() if i in set(_kept(tmp_path / "b"))]  # source order


def test_parquet_output_with_chosen_columns(curated, tmp_path):
    import pyarrow.parquet as pq

    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40",
                          output=Output("parquet", ["id", "tokens"], shard_rows=100))
    result = _apply(path, source, tmp_path / "out")
    table = pq.read_table(sorted((tmp_path / "out").glob("part-*.parquet")))
    assert table.column_names == ["id", "tokens"] and table.num_rows == result.kept
    assert all(f["rows"] <= 100 for f in result.manifest["files"])


def test_refusals_name_what_is_wrong(curated, tmp_path):
    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40")
    with pytest.raises(RecipeError, match="hash:32"):
        apply_recipe(path, [source], tmp_path / "o1", embedder=load_embedder("hash:16"))
    first = _apply(path, source, tmp_path / "o2")
    assert _apply(path, source, tmp_path / "o2").manifest == first.manifest  # done: the same call does nothing
    with pytest.raises(RecipeError, match="already holds a finished run"):
        _apply(path, source, tmp_path / "o2", limit=10)  # another run into a finished output
    with pytest.raises(LoupeError, match="no such file"):
        _apply(path, str(tmp_path / "missing.jsonl"), tmp_path / "o3")
    text = path.read_text().replace("where: tokens >= 40", "where: tokenz >= 40")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(RecipeError, match="filter step 1"):
        _apply(tmp_path / "bad.yaml", source, tmp_path / "o4")


def test_hf_output_loads_with_datasets(curated, tmp_path):
    import datasets

    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40", output=Output("hf", shard_rows=100))
    result = _apply(path, source, tmp_path / "out")
    kept = datasets.load_from_disk(str(tmp_path / "out"))
    removed = datasets.load_from_disk(str(tmp_path / "out" / "removed"))
    assert kept["id"] == ws.select("tokens >= 40") and len(removed) == result.removed
    assert set(removed["reason"]) == {"tokens >= 40"}


@pytest.mark.parametrize("where, budget", [("cluster IN (0, 2)", None),
                                           ("tokens >= 10", Budget(12_000, balance_by="cluster"))])
def test_a_recipe_that_reads_the_map_places_documents_on_it(indexed_template, stdlib_rows, tmp_path, where, budget):
    """The map travels with the recipe; a document the workspace fitted is placed where it was."""
    template = indexed_template(stdlib_rows, map=False, clusters=4)
    ws = template.copy(tmp_path)
    path, recipe = save_recipe(ws, tmp_path / "r.yaml", where=where, budget=budget,
                               output=Output(columns=["id", "x", "y", "cluster", "placed"]))
    assert recipe.map is not None
    result = _apply(path, str(template.path.parent / "docs.jsonl"), tmp_path / "out")
    rows = [json.loads(line) for f in sorted(glob.glob(f"{tmp_path}/out/part-*.jsonl")) for line in open(f)]
    if budget is None:
        assert [r["id"] for r in rows] == ws.select(where)
    else:
        chosen = set(select_budget(ws, budget.tokens, where=where, balance_by="cluster").ids)
        assert [r["id"] for r in rows] == [i for i in ws.select(where) if i in chosen]
    stored = ws.by_ids([r["id"] for r in rows], columns=["id", "x", "y", "cluster"]).to_pylist()
    by_id = {s["id"]: s for s in stored}
    for row in rows:
        assert row["placed"] is True and row["cluster"] == by_id[row["id"]]["cluster"]
        assert row["x"] == pytest.approx(by_id[row["id"]]["x"], abs=1e-4)
    assert result.kept == len(rows)


def test_a_field_some_chunks_lack_is_null_there(tmp_path):
    """A recipe over a field that later records lack (or never give) reads null, not a crash."""
    from tests.helpers import write_jsonl

    rows = [{"id": f"d{i}", "text": f"document number {i} about topic {i % 3} with words", "stars": i}
            for i in range(40)]
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:32")
    ws.index([write_jsonl(tmp_path / "a.jsonl", rows)])
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="stars >= 10", budget=Budget(10_000, order_by="stars",
                                                                                       balance_by="stars"))
    later = rows[:20] + [{k: v for k, v in r.items() if k != "stars"} for r in rows[20:]]
    result = _apply(path, str(write_jsonl(tmp_path / "b.jsonl", later)), tmp_path / "out", chunk_size=8)
    assert _kept(tmp_path / "out") == [f"d{i}" for i in range(10, 20)]
    assert result.manifest["removed"]["by_reason"]["stars >= 10"]["documents"] == 30


def test_the_same_command_after_a_kill_during_cleanup_removes_the_work_folder(curated, tmp_path):
    ws, source = curated
    path, _ = save_recipe(ws, tmp_path / "r.yaml", where="tokens >= 40")
    first = _apply(path, source, tmp_path / "out")
    (tmp_path / "out" / ".work" / "scored").mkdir(parents=True)  # what a kill during the final cleanup leaves
    assert _apply(path, source, tmp_path / "out").manifest == first.manifest
    assert not (tmp_path / "out" / ".work").exists()
