"""What the cluster stage writes beside the cluster numbers: each cluster's keywords, size
and centre on the map, and the topics above the clusters (`clustering.fit_topics`) with
theirs; the `cluster_topic` column of docs says each document's topic.

A workspace whose clusters were fitted before topics existed gets them on its next
`loupe index` (`add_topics`): its clusters keep their numbers, keywords and centres, so
nothing a curator learned or named about them is lost. Documents placed on the map later
take the topic of the cluster they were placed in (`fill_topics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.vectors.clustering import KEYWORDS_PER_CLUSTER, centroids, fit_topics
from indexing.vectors.topic_words import top_words, word_counts

# The docs column of each document's topic: not `topic`, a label name curators use (a label
# may not share a docs column's name, and a predicate `topic = 'x'` must keep meaning the label).
TOPIC_COLUMN = "cluster_topic"
LANGUAGE_SHARE = 0.005  # a language of fewer documents than this share adds no stop words


@dataclass(frozen=True)
class Described:
    """The clusters and topics tables, and each document's topic (docs order)."""

    clusters: pa.Table
    topics: pa.Table
    topic_of_doc: np.ndarray  # int32


def corpus_languages(store) -> list[str] | None:
    """The languages (`lang`, ISO 639-1) of at least LANGUAGE_SHARE of the documents; None
    when the workspace has no `lang` column (then every language's stop words count)."""
    schema = store.docs_schema()
    if schema is None or "lang" not in schema.names:
        return None
    langs = store.read_docs(columns=["lang"]).column("lang").drop_null()
    if not len(langs):
        return None
    counts = pc.value_counts(langs).to_pylist()
    floor = max(1, LANGUAGE_SHARE * len(langs))
    return sorted(str(c["values"]) for c in counts if c["counts"] >= floor) or None


def _centres(groups: np.ndarray, count: int, xs: np.ndarray, ys: np.ndarray) -> tuple[list, list]:
    """The mean x and y of each group's members (None for an empty group)."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    sizes = np.bincount(groups[finite], minlength=count)
    sx = np.bincount(groups[finite], weights=xs[finite], minlength=count)
    sy = np.bincount(groups[finite], weights=ys[finite], minlength=count)
    return ([float(sx[g] / sizes[g]) if sizes[g] else None for g in range(count)],
            [float(sy[g] / sizes[g]) if sizes[g] else None for g in range(count)])


def describe(texts: Sequence[str], labels: np.ndarray, centres: np.ndarray, xs: np.ndarray, ys: np.ndarray,
             k: int, languages: Sequence[str] | None = None, topic_of: np.ndarray | None = None) -> Described:
    """Keywords, sizes and map centres of clusters 0..k-1 (`labels`: each document's, docs
    order) and of topics fitted over the clusters' unit `centres` (or `topic_of`, given)."""
    sizes = np.bincount(labels, minlength=k)
    if topic_of is None:
        topic_of = fit_topics(centres, sizes)
    t = int(topic_of.max(initial=-1)) + 1
    present = np.flatnonzero(topic_of >= 0)
    counted = word_counts(texts, labels, k, languages)
    if counted is None:
        words, topic_words = [[] for _ in range(k)], [[] for _ in range(t)]
    else:
        counts, vocabulary = counted
        topic_counts = np.zeros((t, counts.shape[1]))
        np.add.at(topic_counts, topic_of[present], counts[present])
        words, topic_words = top_words(counts, vocabulary, KEYWORDS_PER_CLUSTER), \
            top_words(topic_counts, vocabulary, KEYWORDS_PER_CLUSTER)
    doc_topics = topic_of[labels].astype(np.int32)
    cx, cy = _centres(labels, k, xs, ys)
    tx, ty = _centres(doc_topics, t, xs, ys)
    clusters = pa.table({"cluster": np.arange(k, dtype=np.int32), "size": sizes.astype(np.int64),
                         "keywords": words, "x": cx, "y": cy,
                         "topic": pa.array(topic_of, pa.int32(), mask=topic_of < 0)})
    topics = pa.table({"topic": np.arange(t, dtype=np.int32),
                       "size": np.bincount(doc_topics, minlength=t).astype(np.int64),
                       "keywords": topic_words, "x": tx, "y": ty})
    return Described(clusters, topics, doc_topics)


def has_topics(store) -> bool:
    """Whether the clusters have topics (a workspace clustered before topics has none)."""
    return store.has("clusters") and store.clusters().column("topic").null_count < store.clusters().num_rows


def add_topics(store, ids: list[str], matrix: np.ndarray) -> int:
    """Topics over a workspace's existing clusters (their numbers, keywords and centres
    kept): the `topic` column, the clusters' `topic` and the topics table. `ids` and
    `matrix`: every row's vector. Returns the number of topics."""
    clusters = store.clusters()
    k = int(pc.max(clusters.column("cluster")).as_py()) + 1
    docs = store.read_docs(columns=["id", "text", "x", "y", "cluster"])
    labels = docs.column("cluster").fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)
    position = {doc_id: row for row, doc_id in enumerate(ids)}
    ordered = matrix[np.array([position[i] for i in docs.column("id").to_pylist()], dtype=np.int64)]
    described = describe(docs.column("text").to_pylist(), labels, centroids(ordered, labels, k),
                         *(docs.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in ("x", "y")),
                         k, corpus_languages(store))
    topic_of = described.clusters.column("topic")
    numbers = clusters.column("cluster").to_numpy()
    store.replace_columns(pa.table({"id": docs.column("id"), TOPIC_COLUMN: described.topic_of_doc}))
    store.write_clusters(clusters.set_column(clusters.schema.get_field_index("topic"), "topic",
                                             topic_of.take(pa.array(numbers))))
    store.write_topics(described.topics)
    return described.topics.num_rows


def fill_topics(store) -> None:
    """Each document's `topic` as its cluster's (placed documents lack one), and the
    topics' sizes counted again; nothing when the clusters have no topics."""
    if not has_topics(store):
        return
    clusters = store.clusters()
    mapping = np.full(int(pc.max(clusters.column("cluster")).as_py()) + 1, -1, dtype=np.int32)
    mapping[clusters.column("cluster").to_numpy()] = clusters.column("topic").fill_null(-1).to_numpy()
    names = store.docs_schema().names
    docs = store.read_docs(columns=["id", "cluster"] + ([TOPIC_COLUMN] if TOPIC_COLUMN in names else []))
    cluster = docs.column("cluster").to_numpy(zero_copy_only=False)
    wanted = mapping[np.nan_to_num(cluster, nan=0).astype(np.int64)]
    have = docs.column(TOPIC_COLUMN).fill_null(-2).to_numpy(zero_copy_only=False) if TOPIC_COLUMN in names else None
    if have is None or (have != wanted).any():
        store.replace_columns(pa.table({"id": docs.column("id"),
                                        TOPIC_COLUMN: pa.array(wanted, pa.int32(), mask=wanted < 0)}))
    topics = store.topics()
    sizes = np.bincount(wanted[wanted >= 0], minlength=topics.num_rows)[topics.column("topic").to_numpy()]
    store.write_topics(topics.set_column(topics.schema.get_field_index("size"), "size",
                                         pa.array(sizes.astype(np.int64))))
