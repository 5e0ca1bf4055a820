"""The Ray engine against the local one, row for row, on a local Ray with 2 CPUs.

`loupe index` of two sources (a malformed record, an id repeated across them) with the
real model and with the hashing one: ids, every column, vectors to 1e-5, the rejections
and the stages recorded. `loupe apply` of a recipe with rules, a classifier, MinHash dedup
and a token budget (hashing model): kept ids in order, removed ids with reason and value, scores, counts.
Then runs interrupted after their first commits, resumed with either engine: no document
twice, none lost.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import cli
from indexing import Workspace, classifiers, dedup
from indexing.apply import apply_recipe
from indexing.recipes import Budget, save_recipe
from tests.helpers import flat_map, write_jsonl

pytestmark = pytest.mark.integration

ray = pytest.importorskip("ray")  # the `ray` and `test` extras install it; CI runs these


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module: the engine uses a Ray already started in the process."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(autouse=True)
def flat(monkeypatch):
    """UMAP is the same stage code after either engine's pass: a flat map keeps tests short."""
    monkeypatch.setattr("indexing.workspace.pipeline.project", flat_map)


@pytest.fixture(scope="module")
def sources(stdlib_rows, tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("sources")
    rows = stdlib_rows[:200]
    a = write_jsonl(folder / "a.jsonl", rows[:110])
    with a.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    b = write_jsonl(folder / "b.jsonl", rows[110:] + [rows[5]])  # rows[5]'s id again: a duplicate
    return [str(a), str(b)]


def _index(folder: Path, sources, engine: str, model: str | None) -> Workspace:
    args = ["index", *sources, "-w", str(folder), "--id-field", "id", "--chunk-size", "64", "--quiet",
            "--engine", engine]
    if model:
        args += ["--model", model]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return Workspace.open(folder)


@pytest.fixture(scope="module")
def indexed(sources, tmp_path_factory):
    """The same sources indexed by each engine, with the real model."""
    folder = tmp_path_factory.mktemp("indexed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexing.workspace.pipeline.project", flat_map)
        return {engine: _index(folder / engine, sources, engine, None) for engine in ("local", "ray")}


def _same_docs(local: Workspace, other: Workspace) -> None:
    a, b = local.docs(), other.docs()
    assert a.schema == b.schema
    assert a["id"].to_pylist() == b["id"].to_pylist()
    for name in a.schema.names:
        if name == "vector":
            np.testing.assert_allclose(np.stack(a[name].to_numpy(zero_copy_only=False)),
                                       np.stack(b[name].to_numpy(zero_copy_only=False)), atol=1e-5)
        else:
            assert a[name].to_pylist() == b[name].to_pylist(), name


def _stages(ws: Workspace) -> dict:
    stages = json.loads((ws.root / "workspace.json").read_text())["stages"]
    return {name: entry["rows"] for name, entry in stages.items()}


def _rejected(ws: Workspace) -> list[dict]:
    return [json.loads(line) for f in sorted(glob.glob(f"{ws.root}/logs/rejected-*.jsonl")) for line in open(f)]


def test_index_with_the_real_model_matches_row_for_row(indexed):
    local, other = indexed["local"], indexed["ray"]
    assert local.count() == 200  # the malformed record and the duplicate id are not stored
    _same_docs(local, other)
    assert _stages(local) == _stages(other)
    assert set(_stages(local)) >= {"ingest", "signals", "embed", "text_index", "faiss", "project", "cluster"}
    assert _rejected(local) == _rejected(other)
    assert sorted(r["reason"] for r in _rejected(other)) == ["duplicate id", "malformed JSON"]
    assert local.state.sources.keys() == other.state.sources.keys()
    for key, state in local.state.sources.items():
        assert (state.stored, state.rejected, state.complete) == (
            other.state.sources[key].stored, other.state.sources[key].rejected, other.state.sources[key].complete)


def test_index_with_a_new_field_midway_and_a_second_run(sources, tmp_path):
    """A field that first appears in a later chunk (the driver stores that chunk itself, with
    the new column) and a second index run that adds a source to a workspace."""
    extra = write_jsonl(tmp_path / "c.jsonl", [{"id": f"c{i}", "text": f"third source document number {i} " * 3,
                                                **({"late": i} if i > 70 else {})} for i in range(100)])
    built = {}
    for engine in ("local", "ray"):
        _index(tmp_path / engine, sources[:1], engine, "hash:64")
        built[engine] = _index(tmp_path / engine, [str(extra)], engine, "hash:64")
    _same_docs(built["local"], built["ray"])
    assert "late" in built["ray"].docs().schema.names
    assert _stages(built["local"]) == _stages(built["ray"])


def test_an_interrupted_ray_index_resumes_with_no_duplicate_and_no_loss(sources, tmp_path, monkeypatch):
    from indexing.engines.ray_index import RayIngest

    reference = _index(tmp_path / "local", sources, "local", "hash:64")
    commit, calls = RayIngest._commit, []

    def dies_after_three(self, item, advance):
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        calls.append(1)
        commit(self, item, advance)

    monkeypatch.setattr(RayIngest, "_commit", dies_after_three)
    with pytest.raises(KeyboardInterrupt):
        Workspace.create(tmp_path / "ray", model="hash:64", id_field="id").index(sources, chunk_size=64, engine="ray")
    stopped = Workspace.open(tmp_path / "ray")
    assert 0 < stopped.store.count() < reference.count()
    monkeypatch.setattr(RayIngest, "_commit", commit)
    resumed = _index(tmp_path / "ray", sources, "ray", "hash:64")
    ids = resumed.docs(columns=["id"])["id"].to_pylist()
    assert len(ids) == len(set(ids)) == reference.count()
    _same_docs(reference, resumed)


# ---- loupe apply --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recipe(sources, tmp_path_factory) -> Path:
    """Rules, a classifier, MinHash dedup and a token budget, from a workspace of the sources
    (the hashing model: the engines' equality does not depend on the model, shown above)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexing.workspace.pipeline.project", flat_map)
        ws = _index(tmp_path_factory.mktemp("curated") / "ws", sources, "local", "hash:64")
    docs = ws.docs(columns=["id", "kind"]).to_pylist()
    ws.labels.add([d["id"] for d in docs if d["kind"].endswith("_doc")][:20], "quality", "good")
    ws.labels.add([d["id"] for d in docs if d["kind"] == "function_source"][:20], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    dedup.dedup(ws, "minhash")
    where = "dup_keep = true AND score_quality >= 0.3 AND tokens >= 5"
    total = int(np.asarray(ws.docs(columns=["tokens"])["tokens"]).sum())
    path, _ = save_recipe(ws, tmp_path_factory.mktemp("recipe") / "r.yaml", where=where,
                          budget=Budget(total // 3, order_by="score_quality"))
    return path


def _rows(folder: Path, pattern: str) -> list[dict]:
    return [json.loads(line) for f in sorted(glob.glob(f"{folder}/{pattern}")) for line in open(f)]


def _same_output(a: Path, b: Path) -> None:
    kept_a, kept_b = _rows(a, "part-*.jsonl"), _rows(b, "part-*.jsonl")
    assert [r["id"] for r in kept_a] == [r["id"] for r in kept_b]
    assert kept_a == kept_b  # every column, scores included
    gone_a, gone_b = _rows(a, "removed/part-*.jsonl"), _rows(b, "removed/part-*.jsonl")
    assert [(r["id"], r["reason"], r["reason_value"]) for r in gone_a] == [
        (r["id"], r["reason"], r["reason_value"]) for r in gone_b]
    assert gone_a == gone_b
    assert (a / "rejected.jsonl").read_text() == (b / "rejected.jsonl").read_text()
    ma, mb = (json.loads((f / "manifest.json").read_text()) for f in (a, b))
    for key in ("read", "kept", "removed", "budget", "files", "columns", "options"):
        assert ma[key] == mb[key], key


def test_apply_matches_row_for_row(recipe, sources, tmp_path):
    runs = {}
    for engine in ("local", "ray"):
        result = CliRunner().invoke(cli, ["apply", str(recipe), *sources, "--out", str(tmp_path / engine),
                                          "--chunk-size", "64", "--quiet", "--engine", engine])
        assert result.exit_code == 0, result.output
        runs[engine] = json.loads((tmp_path / engine / "manifest.json").read_text())
    _same_output(tmp_path / "local", tmp_path / "ray")
    assert runs["ray"]["engine"] == {"name": "ray", "address": None}
    by_reason = runs["ray"]["removed"]["by_reason"]
    assert "budget" in by_reason and any("dup_keep" in r for r in by_reason) and runs["ray"]["kept"]["documents"]
    assert "score_quality" in _rows(tmp_path / "ray", "part-*.jsonl")[0]


def test_apply_interrupted_on_ray_resumes_locally_and_back(recipe, sources, tmp_path, monkeypatch):
    from indexing.apply.work import WorkFolder

    apply_recipe(recipe, sources, tmp_path / "reference", chunk_size=64)
    commit = WorkFolder.commit_task
    for first, then, name in (("ray", "local", "a"), ("local", "ray", "b")):
        calls = []

        def dies_after_two(self, *args):
            if len(calls) == 2:
                raise KeyboardInterrupt("killed")
            calls.append(1)
            commit(self, *args)

        monkeypatch.setattr(WorkFolder, "commit_task", dies_after_two)
        with pytest.raises(KeyboardInterrupt):
            apply_recipe(recipe, sources, tmp_path / name, chunk_size=64, engine=first)
        monkeypatch.setattr(WorkFolder, "commit_task", commit)
        result = apply_recipe(recipe, sources, tmp_path / name, chunk_size=64, engine=then)
        assert result.manifest["engine"]["name"] == then
        _same_output(tmp_path / "reference", tmp_path / name)
