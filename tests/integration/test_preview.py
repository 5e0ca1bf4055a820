"""`loupe index --preview` and `--full` with the real model: a static model distilled from the
bundled all-MiniLM-L6-v2 (once per session, offline: the `preview_cache` fixture), marked as a
preview in info and in an export's manifest, carried by a recipe to `loupe apply`, and
upgraded to the full model with labels kept and vectors equal to a fresh full index's."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli import cli
from indexing import Workspace, classifiers, export
from indexing.vectors import preview
from indexing.vectors.embedder import DEFAULT_MODEL, load_embedder
from indexing.workspace import upgrade
from tests.helpers import write_jsonl

pytestmark = pytest.mark.integration

N = 120
PREVIEW = "preview:" + DEFAULT_MODEL


def loupe(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args])
    assert result.exit_code == 0, result.output
    return result.output


def by_id(ws: Workspace, column: str) -> dict:
    table = ws.docs(columns=["id", column])
    return dict(zip(table.column("id").to_pylist(), table.column(column).to_pylist()))


def vectors_by_id(ws: Workspace) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, np.float32) for k, v in by_id(ws, "vector").items()}


def label_and_train(ws: Workspace) -> None:
    functions, others = ws.select("kind = 'function_source'"), ws.select("kind != 'function_source'")
    ws.labels.add(functions[:10], "quality", "good")
    ws.labels.add(others[:10], "quality", "bad")
    classifiers.train(ws, "quality", positive="good", negative="bad")


@pytest.fixture(scope="module")
def corpus(stdlib_rows, tmp_path_factory):
    return write_jsonl(tmp_path_factory.mktemp("preview-corpus") / "docs.jsonl", stdlib_rows[:N])


@pytest.fixture(scope="module")
def full_index(corpus, tmp_path_factory):
    """The same corpus indexed with the full model: what an upgrade must equal."""
    ws = Workspace.create(tmp_path_factory.mktemp("full") / "ws", id_field="id")
    ws.index([corpus])
    return ws


@pytest.fixture(scope="module")
def preview_ws(preview_cache, corpus, tmp_path_factory):
    """`loupe index --preview` into a new workspace (never written by the tests: they copy it)."""
    path = tmp_path_factory.mktemp("preview") / "ws"
    output = loupe("index", str(corpus), "-w", str(path), "--id-field", "id", "--preview")
    return path, output


def copy(preview_ws, tmp_path) -> Workspace:
    shutil.copytree(preview_ws[0], tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def test_the_cached_preview_embeds_as_the_distilled_model(preview_cache, stdlib_rows):
    texts = [r["text"] for r in stdlib_rows[:50]] + ["", "naïve café"]
    loaded = load_embedder(PREVIEW)  # from the cache: the session distilled it once
    assert loaded.name == PREVIEW and load_embedder(loaded.name).fingerprint == loaded.fingerprint
    assert loaded.folder == preview_cache["folder"] and loaded.dimension == preview.PCA_DIMS
    distilled = preview_cache["distilled"].encode(texts, max_length=loaded.max_tokens, normalize=True)
    np.testing.assert_allclose(loaded.encode(texts)[:-2], distilled[:-2], atol=1e-6)
    info = json.loads((loaded.folder / preview.INFO).read_text())
    assert info["base"] == DEFAULT_MODEL and info["base_fingerprint"].startswith("sha256:")


def test_a_preview_workspace_says_so_in_info_and_in_an_export(preview_ws, full_index, tmp_path):
    path, output = preview_ws
    assert "preview embeddings (model2vec static model distilled from" in " ".join(output.split())
    data = json.loads(loupe("info", "-w", str(path), "--json"))
    assert data["preview"] is True and data["model"] == PREVIEW and data["dimension"] == preview.PCA_DIMS
    assert data["ready"] and data["docs"] == N
    assert data["preview_note"] == preview.preview_note(PREVIEW, path)
    assert "--full" in " ".join(loupe("info", "-w", str(path)).split())
    ws = copy(preview_ws, tmp_path)
    assert by_id(ws, "tokens") == by_id(full_index, "tokens")  # counted by the base model's tokenizer
    assert export(ws, "all").manifest["embeddings"] == "preview"
    assert export(full_index, "all-full").manifest["embeddings"] == "full"


def test_a_recipe_from_a_preview_applies_with_the_preview_model(preview_ws, corpus, tmp_path):
    ws = copy(preview_ws, tmp_path)
    label_and_train(ws)
    where = "score_quality >= 0.5"
    exported = export(ws, "scored", where=where)
    recipe = exported.path / "recipe.yaml"
    assert f"name: {PREVIEW}" in recipe.read_text()
    loupe("recipe", "check", str(recipe))  # loads the preview model and compares its fingerprint
    out = tmp_path / "applied"
    loupe("apply", str(recipe), str(corpus), "--out", str(out), "--quiet")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kept"]["documents"] == len(ws.select(where)) == exported.manifest["kept"]["documents"]


def test_full_upgrades_a_preview_keeping_labels(preview_ws, full_index, tmp_path):
    ws = copy(preview_ws, tmp_path)
    label_and_train(ws)
    events = ws.store.table("labels").to_arrow()
    loupe("index", "-w", str(ws.root), "--full", "--quiet")
    ws = Workspace.open(ws.root)
    data = ws.info()
    assert data["preview"] is False and data["preview_note"] is None and data["ready"]
    assert (data["model"], data["dimension"]) == (DEFAULT_MODEL, 384)
    assert ws.state.model_fingerprint == full_index.state.model_fingerprint
    assert ws.store.table("labels").to_arrow().equals(events)  # not one label event lost or added
    expected, upgraded = vectors_by_id(full_index), vectors_by_id(ws)
    assert upgraded.keys() == expected.keys()
    np.testing.assert_allclose(np.stack([upgraded[i] for i in expected]), np.stack(list(expected.values())),
                               atol=1e-5)
    retrained = classifiers.load(ws, "quality")
    assert retrained.model == DEFAULT_MODEL and retrained.dimension == 384
    assert ws.count("score_quality IS NULL") == 0
    assert ws.state.stages["project"]["fitted"] == N and not ws.state.stages["project"].get("remap")
    assert not (ws.root / upgrade.SCRATCH).exists()
    assert ws.search("parse a date", k=3).num_rows == 3  # queries embed with the full model now


def test_a_killed_upgrade_is_finished_by_the_same_command(preview_ws, full_index, tmp_path, monkeypatch):
    ws = copy(preview_ws, tmp_path)
    monkeypatch.setattr(upgrade, "CHUNK_ROWS", 40)
    from indexing.workspace import workspace as workspace_module

    encoded = []

    def dying_after(chunks):
        def load(name, *args, **kwargs):
            model = load_embedder(name, *args, **kwargs)
            encode = model.encode

            def counted(texts, *a, **k):
                if len(encoded) == chunks:
                    raise KeyboardInterrupt  # a kill, between two chunks
                encoded.append(len(texts))
                return encode(texts, *a, **k)

            model.encode = counted
            return model
        return load

    monkeypatch.setattr(workspace_module, "load_embedder", dying_after(1))
    with pytest.raises(KeyboardInterrupt):
        Workspace.open(ws.root).upgrade()
    assert encoded == [40] and Workspace.open(ws.root).is_preview

    def dropped_then_killed(self, values, key="id"):  # a kill between Lance's drop and merge
        self.table("docs").drop_columns(["vector"])
        raise KeyboardInterrupt

    monkeypatch.setattr(workspace_module, "load_embedder", dying_after(10))
    with monkeypatch.context() as patch:
        patch.setattr("indexing.workspace.store.Store.replace_columns", dropped_then_killed)
        with pytest.raises(KeyboardInterrupt):
            Workspace.open(ws.root).upgrade()
    assert encoded == [40, 40, 40] and "vector" not in Workspace.open(ws.root).store.docs_schema().names

    Workspace.open(ws.root).upgrade()  # the same command again: nothing left to embed
    assert encoded == [40, 40, 40]
    ws = Workspace.open(ws.root)
    assert not ws.is_preview and ws.info()["ready"]
    expected, upgraded = vectors_by_id(full_index), vectors_by_id(ws)
    np.testing.assert_allclose(np.stack([upgraded[i] for i in expected]), np.stack(list(expected.values())),
                               atol=1e-5)


def test_preview_is_chosen_before_the_first_row(full_index, preview_cache, tmp_path):
    ws = Workspace.open(shutil.copytree(full_index.root, tmp_path / "ws"))
    with pytest.raises(Exception, match="already holds vectors of .* chosen when a workspace is first indexed"):
        ws.index(preview=True)
    result = CliRunner().invoke(cli, ["index", "-w", str(ws.root), "--preview", "--full"])
    assert result.exit_code == 2 and "either --preview or --full" in result.output
    assert not Workspace.open(ws.root).is_preview
    assert ws.upgrade().rows_stored == 0  # --full on a full workspace: nothing to do


def test_the_app_says_its_map_is_a_preview(preview_ws, tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    ws = copy(preview_ws, tmp_path)
    monkeypatch.setenv("LOUPE_WORKSPACE", str(ws.root))
    app = AppTest.from_file(str(Path(__file__).parents[2] / "app" / "streamlit_app.py"), default_timeout=120).run()
    assert not app.exception
    assert "preview" in app.sidebar.caption[0].value
    warning = " ".join(app.sidebar.warning[0].value.split())
    assert "preview embeddings" in warning and "full model" in warning
    app.sidebar.text_input(key="query").input("parse a date string").run()  # a query embeds with the preview too
    assert not app.exception
    assert [s.value for s in app.subheader if s.value.startswith("10 results") or "results" in s.value]
