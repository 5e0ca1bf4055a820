"""Topic clusters: FAISS k-means on the vectors, keywords by class-based TF-IDF, and
topics above them.

k-means on the normalised embeddings (spherical) groups documents by meaning; the
keywords of a cluster are the words that are frequent in it and rare in the
others (c-TF-IDF, as in BERTopic; `topic_words` tokenises any script and drops the
stop words of every language the corpus holds), which is what a curator reads to name
it. Topics are a coarser level: the clusters' centroids grouped into about sqrt(k)
(`fit_topics`), so a map of 150 clusters reads as a dozen subjects with their subtopics.
"""

from __future__ import annotations

import math
from typing import Sequence

from indexing.vectors.faiss_lib import faiss
import numpy as np

from indexing.vectors import devices
from indexing.vectors.topic_words import KEYWORD_TEXT_CHARS, top_words, word_counts

KEYWORDS_PER_CLUSTER = 8
__all__ = ["KEYWORD_TEXT_CHARS", "centroids", "choose_k", "choose_topics", "fit_topics", "keywords", "kmeans"]


def choose_k(n: int) -> int:
    """About sqrt(n/4) clusters: ~35 for 5k docs, ~160 for 100k, at most 256."""
    if n < 2:
        return 1
    return int(min(256, max(2, round(math.sqrt(n / 4)))))


def kmeans(vectors: np.ndarray, k: int, seed: int = 42) -> np.ndarray:
    """Cluster number (0..k-1) per vector."""
    n, dim = vectors.shape
    k = max(1, min(k, n))
    if k == 1:
        return np.zeros(n, dtype=np.int32)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    # FAISS starts from random points, which often leaves two centroids in one topic and
    # one across two; k-means++ seeding on a sample (cheap: at most 64 points a cluster)
    # starts them spread out.
    rng = np.random.default_rng(seed)
    sample = x if n <= 64 * k else x[rng.choice(n, 64 * k, replace=False)]
    from sklearn.cluster import kmeans_plusplus  # here, not at import (see keywords)

    start, _ = kmeans_plusplus(sample, k, random_state=seed)
    # gpu=True: faiss.Kmeans trains and assigns on every GPU it sees; False: on the host.
    model = faiss.Kmeans(dim, k, niter=20, seed=seed, spherical=True, gpu=devices.use_gpu(),
                         verbose=False, min_points_per_centroid=1)
    model.train(x, init_centroids=np.ascontiguousarray(start, dtype=np.float32))
    _, assignment = model.index.search(x, 1)
    return assignment[:, 0].astype(np.int32)


def keywords(texts: Sequence[str], labels: np.ndarray, k: int, top: int = KEYWORDS_PER_CLUSTER,
             languages: Sequence[str] | None = None) -> list[list[str]]:
    """Top c-TF-IDF words per cluster 0..k-1 (empty lists for empty clusters); `languages`:
    the corpus's ISO 639-1 codes, whose stop words are dropped (None: every language's)."""
    counted = word_counts(texts, labels, k, languages)
    if counted is None:
        return [[] for _ in range(k)]
    return top_words(*counted, top)


def choose_topics(k: int) -> int:
    """About sqrt(k) topics above k clusters: 6 over 35 clusters, 16 over 256; 1 below 4."""
    return 1 if k < 4 else int(round(math.sqrt(k)))


def centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Each cluster's mean vector, of length 1 (zeros for an empty cluster)."""
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def fit_topics(centres: np.ndarray, sizes: np.ndarray, topics: int | None = None) -> np.ndarray:
    """The topic (0..t-1, the largest first) of each cluster: Ward agglomerative clustering
    of the clusters' centroids into `topics` (None: `choose_topics`) groups; -1 for an
    empty cluster. Deterministic, and each topic is a union of whole clusters."""
    sizes = np.asarray(sizes)
    result = np.full(len(centres), -1, dtype=np.int32)
    present = np.flatnonzero(sizes > 0)
    t = min(topics or choose_topics(len(present)), len(present))
    if t <= 1:
        result[present] = 0
        return result
    from sklearn.cluster import AgglomerativeClustering  # here, not at import (see keywords)

    groups = AgglomerativeClustering(n_clusters=t, linkage="ward").fit_predict(centres[present])
    weight = np.bincount(groups, weights=sizes[present], minlength=t)
    rank = np.empty(t, dtype=np.int32)
    rank[np.argsort(-weight, kind="stable")] = np.arange(t)
    result[present] = rank[groups]
    return result
