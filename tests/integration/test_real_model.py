"""The whole index on real documents with the real model, LanceDB and FAISS."""

from __future__ import annotations

import math

import numpy as np
import pytest

from indexing.vectors.embedder import DEFAULT_MODEL

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def workspace(indexed_template, tmp_path_factory, stdlib_rows):
    template = indexed_template(stdlib_rows, model=None)  # the real model
    assert template.report.rows_stored == len(stdlib_rows)
    return template.copy(tmp_path_factory.mktemp("real"))


def test_every_row_is_stored_complete(workspace, stdlib_rows):
    docs = workspace.docs()
    assert docs.num_rows == len(stdlib_rows)
    assert sorted(docs.column("id").to_pylist()) == sorted(r["id"] for r in stdlib_rows)
    vectors = np.stack(docs.column("vector").to_numpy(zero_copy_only=False))
    assert vectors.shape == (len(stdlib_rows), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    for column in ("x", "y"):
        assert all(math.isfinite(v) for v in docs.column(column).to_pylist())
    assert set(docs.column("kind").to_pylist()) <= {"module_doc", "class_doc", "function_doc", "function_source"}


def test_signals_match_the_model_tokenizer(workspace):
    docs = workspace.docs(columns=["text", "chars", "words", "lines", "tokens"]).slice(0, 20)
    tokenizer = workspace.embedder().tokenizer
    for row in docs.to_pylist():
        assert row["chars"] == len(row["text"])
        assert row["words"] == len(row["text"].split())
        assert row["lines"] == row["text"].count("\n") + 1
        assert row["tokens"] == len(tokenizer(row["text"], add_special_tokens=False)["input_ids"])


def test_vectors_are_the_model_embeddings(workspace):
    docs = workspace.docs(columns=["text", "vector"]).slice(0, 8)
    expected = workspace.embedder().model.encode(docs.column("text").to_pylist(), normalize_embeddings=True)
    stored = np.stack(docs.column("vector").to_numpy(zero_copy_only=False))
    assert np.abs(stored - expected).max() < 1e-4


def test_search_by_meaning_finds_the_document_itself(workspace):
    row = workspace.docs(where="kind = 'function_doc'", columns=["id", "text"]).to_pylist()[3]
    hits = workspace.search(row["text"], k=5)
    assert hits.column("id")[0].as_py() == row["id"]
    assert hits.column("_score")[0].as_py() > 0.99
    scores = hits.column("_score").to_pylist()
    assert scores == sorted(scores, reverse=True)


def test_search_by_meaning_ranks_related_text_first(workspace):
    hits = workspace.search("compress and decompress data", k=10, columns=["id", "text", "module"])
    modules = hits.column("module").to_pylist()
    related = {"gzip", "zlib", "bz2", "lzma", "zipfile", "tarfile", "_compression", "zipimport", "shutil"}
    # A filter-free look at the corpus: is anything compression-related there at all?
    present = workspace.count("module IN ('gzip','zlib','bz2','lzma','zipfile','tarfile','_compression','zipimport','shutil')")
    if present:
        assert any(m.split(".")[0] in related for m in modules[:5])


def test_search_within_a_filter(workspace):
    hits = workspace.search("open a file", k=10, where="kind = 'class_doc'", columns=["id", "kind"])
    assert hits.num_rows == min(10, workspace.count("kind = 'class_doc'"))
    assert set(hits.column("kind").to_pylist()) == {"class_doc"}


def test_keyword_search_uses_full_text_index(workspace):
    import re

    texts = workspace.docs(columns=["id", "text"]).to_pylist()
    counts = {}
    for row in texts:
        for word in set(re.findall(r"[a-z]{8,}", row["text"].lower())):
            counts[word] = counts.get(word, 0) + 1
    rare = sorted(w for w, n in counts.items() if n == 1)[0]
    holder = next(r["id"] for r in texts if rare in r["text"].lower())
    hits = workspace.keyword_search(rare, k=10)
    assert hits.column("id")[0].as_py() == holder
    assert rare in hits.column("text")[0].as_py().lower()


def test_neighbors_exclude_the_document_and_are_sorted(workspace):
    doc_id = workspace.docs(columns=["id"]).column("id")[10].as_py()
    near = workspace.neighbors(doc_id, k=5)
    assert near.num_rows == 5
    assert doc_id not in near.column("id").to_pylist()
    scores = near.column("_score").to_pylist()
    assert scores == sorted(scores, reverse=True) and scores[0] <= 1.0001


def test_clusters_cover_every_document(workspace):
    info = workspace.info()
    clusters = workspace.store.clusters()
    assert info["clusters"] == clusters.num_rows == workspace.state.stages["cluster"]["k"]
    assert sum(clusters.column("size").to_pylist()) == info["docs"]
    assert sum(1 for k in clusters.column("keywords").to_pylist() if k) >= clusters.num_rows - 1
    cluster_ids = set(workspace.docs(columns=["cluster"]).column("cluster").to_pylist())
    assert cluster_ids <= set(range(clusters.num_rows))


def test_info_reports_a_ready_workspace(workspace):
    info = workspace.info()
    assert info["ready"] is True
    assert info["model"] == DEFAULT_MODEL and info["dimension"] == 384
    assert info["stages_done"] == ["ingest", "signals", "embed", "text_index", "faiss", "project", "cluster", "refresh"]
    assert info["bytes"]["lance"] > 0 and info["bytes"]["faiss"] > 0
    assert info["columns"]["tokens"] == "int64"


def test_rerun_of_a_complete_workspace_does_nothing(workspace):
    version = workspace.store.version()
    stages = {k: dict(v) for k, v in workspace.state.stages.items()}
    source = next(iter(workspace.state.sources.values())).path
    report = workspace.index([source])
    assert report.rows_read == 0 and report.rows_stored == 0
    assert workspace.store.version() == version
    assert workspace.state.stages == stages
