"""Cluster keywords on a multilingual corpus with the real model: the bundled
all-MiniLM-L6-v2, real k-means, LanceDB and FAISS over tests/multilingual.py (German tax
law, Italian cooking, French astronomy, Spanish football, English beekeeping). Each
cluster's keywords are words of its topic, never function words of any language."""

from __future__ import annotations

from collections import Counter

from indexing import Workspace
from tests.helpers import write_jsonl
from tests.multilingual import FUNCTION_WORDS, TOPIC_WORDS, rows


def test_the_real_build_names_each_language_cluster_by_its_topic(tmp_path):
    ws = Workspace.create(tmp_path / "ws", id_field="id")  # the real default model
    ws.index([write_jsonl(tmp_path / "docs.jsonl", rows())], clusters=5)
    docs = ws.docs(columns=["id", "cluster"]).to_pylist()
    language_of = {r["id"]: r["language"] for r in rows()}
    majority = {}
    for cluster in {d["cluster"] for d in docs}:
        counts = Counter(language_of[d["id"]] for d in docs if d["cluster"] == cluster)
        majority[cluster] = counts.most_common(1)[0][0]
    for row in ws.store.clusters().to_pylist():
        words = row["keywords"][:5]
        assert words and not set(words) & FUNCTION_WORDS, row
        assert set(words) & TOPIC_WORDS[majority[row["cluster"]]], (majority[row["cluster"]], row)
    for row in ws.store.topics().to_pylist():
        assert row["keywords"] and not set(row["keywords"][:5]) & FUNCTION_WORDS, row
