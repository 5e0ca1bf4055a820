"""Topic clusters: FAISS k-means on the vectors, keywords by class-based TF-IDF.

k-means on the normalised embeddings (spherical) groups documents by meaning; the
keywords of a cluster are the words that are frequent in it and rare in the
others (c-TF-IDF, as in BERTopic), which is what a curator reads to name it.
"""

from __future__ import annotations

import math
from typing import Sequence

from indexing.vectors.faiss_lib import faiss
import numpy as np

from indexing.vectors import devices

KEYWORDS_PER_CLUSTER = 8
KEYWORD_TEXT_CHARS = 2_000  # enough text per document to characterise a topic


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


def keywords(texts: Sequence[str], labels: np.ndarray, k: int, top: int = KEYWORDS_PER_CLUSTER) -> list[list[str]]:
    """Top c-TF-IDF words per cluster 0..k-1 (empty lists for empty clusters)."""
    from scipy import sparse  # here, not at import: scikit-learn and scipy cost the app ~1 s to start
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        stop_words="english",
        token_pattern=r"(?u)\b[^\W\d_][^\W_]{2,}\b",
        max_features=50_000,
        lowercase=True,
    )
    try:
        counts = vectorizer.fit_transform(t[:KEYWORD_TEXT_CHARS] for t in texts)
    except ValueError:  # no words at all (e.g. only numbers or punctuation)
        return [[] for _ in range(k)]
    membership = sparse.csr_matrix(
        (np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels))
    )
    per_cluster = np.asarray((membership @ counts).todense(), dtype=np.float64)
    words_per_cluster = per_cluster.sum(axis=1, keepdims=True)
    tf = per_cluster / np.maximum(words_per_cluster, 1)
    average_words = max(words_per_cluster.mean(), 1.0)
    idf = np.log1p(average_words / np.maximum(per_cluster.sum(axis=0), 1))
    scores = tf * idf
    vocabulary = vectorizer.get_feature_names_out()
    result = []
    for row, total in zip(scores, words_per_cluster[:, 0]):
        if total == 0:
            result.append([])
            continue
        best = np.argsort(-row)[:top]
        result.append([str(vocabulary[i]) for i in best if row[i] > 0])
    return result
