"""The model's ONNX export (`indexing.vectors.onnx_model`): the real model's vectors, token
counts and identity without torch, exported once and checked, and never a failed search."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from indexing.vectors import onnx_model
from indexing.vectors.embedder import DEFAULT_MODEL, load_embedder

pytestmark = pytest.mark.integration

TEXTS = ["a path on disk", "", "  spaces around  ", "zwei Zeilen\nin einem Text", "😀 an emoji", "x " * 2000,
         "橋を渡る"]


@pytest.fixture(scope="module")
def real():
    return load_embedder("all-MiniLM-L6-v2", "cpu")


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


def test_the_export_embeds_and_counts_as_the_model_does(real, cache):
    assert onnx_model.load_cached("all-MiniLM-L6-v2") is None and onnx_model.wanted(real)
    folder = onnx_model.export(real)
    assert folder is not None and folder.parent == cache
    exported = onnx_model.load_cached("all-MiniLM-L6-v2")
    texts = TEXTS * 6  # more than one batch of the graph
    assert np.allclose(exported.encode(texts), real.encode(texts), atol=1e-5)
    assert exported.count_tokens(texts) == real.count_tokens(texts)
    assert (exported.name, exported.dimension, exported.max_tokens, exported.fingerprint) == \
        (DEFAULT_MODEL, real.dimension, real.max_tokens, real.fingerprint)
    assert exported.encode([]).shape == (0, real.dimension)
    made = (folder / onnx_model.GRAPH).stat().st_mtime_ns
    assert not onnx_model.wanted(real) and onnx_model.export(real) == folder  # once per machine and model
    assert (folder / onnx_model.GRAPH).stat().st_mtime_ns == made


def test_a_damaged_export_is_removed_and_made_again(real, cache):
    folder = onnx_model.export(real)
    (folder / onnx_model.GRAPH).write_bytes(b"not a graph")
    assert onnx_model.load_cached("all-MiniLM-L6-v2") is None and not folder.exists()
    assert onnx_model.export(real) == folder
    assert np.allclose(onnx_model.load_cached("all-MiniLM-L6-v2").encode(TEXTS), real.encode(TEXTS), atol=1e-5)


def test_a_graph_that_disagrees_with_the_model_is_not_kept(real, cache, monkeypatch):
    monkeypatch.setattr(onnx_model, "TOLERANCE", -1.0)
    assert onnx_model.export(real) is None
    assert list(cache.iterdir()) == []  # neither the export nor a half-built folder


def test_what_cannot_be_exported_is_left_to_torch(real, cache, monkeypatch):
    assert onnx_model.cache_folder("someone/a-hub-model") is None  # no local files to key it by
    assert onnx_model.export(load_embedder("hash:16")) is None
    monkeypatch.setitem(sys.modules, "onnx", None)  # not installed
    assert not onnx_model.wanted(real) and onnx_model.export(real) is None
    assert not cache.exists()


def test_indexing_exports_the_model_and_a_search_then_needs_no_torch(tmp_path, cache, stdlib_rows):
    """`loupe index` leaves the export behind; a later process's search uses it, never
    importing torch, and finds what the model finds."""
    from indexing import Workspace, write_jsonl

    write_jsonl(stdlib_rows[:60], tmp_path / "docs.jsonl")
    ws = Workspace.create(tmp_path / "ws", model="all-MiniLM-L6-v2", id_field="id")
    report = ws.index([tmp_path / "docs.jsonl"])
    assert "export model" in report.seconds and onnx_model.load_cached("all-MiniLM-L6-v2") is not None
    expected = ws.search("parse a date", k=5)["id"].to_pylist()  # this object loaded the model: it uses it
    script = textwrap.dedent(f"""
        import json, sys
        from indexing import Workspace
        ws = Workspace.open({str(tmp_path / "ws")!r})
        found = ws.search("parse a date", k=5)["id"].to_pylist()
        print(json.dumps({{"found": found, "torch": "torch" in sys.modules}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer == {"found": expected, "torch": False}
