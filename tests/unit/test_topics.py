"""Topics above the clusters: fit_topics on planted structure, and the build's `topic`
column, clusters' topic and topics table (fitted, placed, and added to a workspace
clustered before topics). Real LanceDB and FAISS; the hashing test embedder."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from indexing.vectors.clustering import centroids, choose_topics, fit_topics
from tests.helpers import write_jsonl


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch):
    monkeypatch.setenv("LOUPE_DEVICE", "cpu")


@pytest.mark.parametrize("k, t", [(1, 1), (3, 1), (4, 2), (9, 3), (35, 6), (160, 13), (256, 16)])
def test_choose_topics(k, t):
    assert choose_topics(k) == t


def test_fit_topics_groups_the_clusters_of_each_subject():
    """Nine clusters, three around each of three far-apart subjects: three topics, each one
    subject's clusters, numbered largest first; an empty cluster has none (-1)."""
    rng = np.random.default_rng(0)
    subjects = rng.normal(size=(3, 24))
    centres = np.repeat(subjects, 3, axis=0) + 0.1 * rng.normal(size=(9, 24))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    sizes = np.array([5, 5, 5, 50, 50, 50, 20, 20, 20, 0])
    found = fit_topics(np.vstack([centres, np.zeros((1, 24))]), sizes, topics=3)
    assert found.tolist() == [2, 2, 2, 0, 0, 0, 1, 1, 1, -1]
    assert fit_topics(centres, sizes[:9]).tolist() == found[:9].tolist()  # sqrt(9) = 3, deterministic


def test_centroids_are_unit_means():
    vectors = np.array([[1, 0], [0, 1], [3, 4]], dtype=np.float32)
    found = centroids(vectors, np.array([0, 0, 1]), 3)
    np.testing.assert_allclose(found, [[0.7071068, 0.7071068], [0.6, 0.8], [0, 0]], rtol=1e-6)


def _topics(ws) -> tuple[dict, dict]:
    docs = ws.docs(columns=["id", "cluster", "cluster_topic"]).to_pylist()
    return {r["id"]: r["cluster"] for r in docs}, {r["id"]: r["cluster_topic"] for r in docs}


def _check_consistent(ws, rows: int):
    clusters, topics = _topics(ws)
    topic_of = dict(zip(*ws.store.clusters().select(["cluster", "topic"]).to_pydict().values()))
    assert all(topics[i] == topic_of[c] for i, c in clusters.items())
    table = ws.store.topics().to_pydict()
    assert table["topic"] == list(range(len(table["topic"]))) and len(table["topic"]) == choose_topics(len(topic_of))
    assert sum(table["size"]) == rows
    assert table["size"] == [sum(1 for t in topics.values() if t == n) for n in table["topic"]]
    assert all(words for words in table["keywords"]) and all(x is not None for x in table["x"])


def test_the_build_writes_topics(indexed_workspace, stdlib_rows):
    ws = indexed_workspace(stdlib_rows[:80], map=False, clusters=9)
    _check_consistent(ws, 80)
    assert ws.state.stages["cluster"]["topics"] == 3


def test_placed_documents_take_their_clusters_topic(indexed_workspace, stdlib_rows, tmp_path):
    ws = indexed_workspace(stdlib_rows[:80], map=False, clusters=9)
    before = _topics(ws)
    ws.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[80:110])])
    clusters, topics = _topics(ws)
    assert all(topics[i] == t for i, t in before[1].items())
    _check_consistent(ws, 110)


def test_a_workspace_clustered_before_topics_gets_them_and_keeps_its_clusters(indexed_workspace, stdlib_rows):
    ws = indexed_workspace(stdlib_rows[:80], map=False, clusters=9)
    clusters = ws.store.clusters().drop_columns(["topic"])
    ws.store.db.create_table("clusters", data=clusters, mode="overwrite")  # as an older Loupe wrote it
    ws.store.db.drop_table("topics")
    ws.store.table("docs").drop_columns(["cluster_topic"])
    assert ws.store.clusters().column("topic").null_count == 9 and ws.store.topics().num_rows == 0
    before = ws.docs(columns=["id", "cluster"]).to_pydict()
    report = ws.index()
    assert ws.docs(columns=["id", "cluster"]).to_pydict() == before
    assert ws.store.clusters().drop_columns(["topic"]).equals(clusters.cast(ws.store.clusters().drop_columns(
        ["topic"]).schema))
    _check_consistent(ws, 80)
    assert any("3 topics fitted over the existing clusters" in n for n in report.notes)
    assert ws.state.stages["cluster"]["topics"] == 3 and ws.info()["ready"]
    assert ws.index().notes == []  # done once


def test_keywords_use_the_languages_of_the_corpus(tmp_path):
    from indexing import Workspace
    from tests.multilingual import FUNCTION_WORDS, rows

    ws = Workspace.create(tmp_path / "ws", model="hash:64", id_field="id")
    ws.index([write_jsonl(tmp_path / "docs.jsonl", rows())], clusters=5)
    from indexing.vectors.topics import corpus_languages

    assert set(corpus_languages(ws.store)) >= {"de", "it", "fr", "es", "en"}
    for words in ws.store.clusters().column("keywords").to_pylist() + ws.store.topics().column("keywords").to_pylist():
        assert words and not set(words) & FUNCTION_WORDS, words
    assert pa.types.is_int32(ws.store.docs_schema().field("cluster_topic").type)


def test_topic_stays_free_as_a_label_name(indexed_workspace, stdlib_rows):
    """Curators name labels `topic`: the docs column is `cluster_topic`, so a label `topic`
    is accepted and a predicate on it means the label."""
    ws = indexed_workspace(stdlib_rows[:80], map=False, clusters=9)
    ids = ws.docs(columns=["id"]).column("id").to_pylist()[:3]
    ws.labels.add(ids, "topic", "beta")
    assert sorted(ws.select("topic = 'beta'")) == sorted(ids)
    assert ws.count("cluster_topic = 0") == ws.store.topics().column("size").to_pylist()[0]
