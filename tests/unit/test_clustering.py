"""Unit tests for indexing.vectors.clustering: choose_k, k-means on synthetic blobs, c-TF-IDF keywords."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from indexing.vectors import clustering
from indexing.vectors.clustering import choose_k, keywords, kmeans


@pytest.mark.parametrize(
    "n, k",
    [
        (0, 1), (1, 1), (2, 2), (3, 2), (4, 2), (36, 3), (100, 5), (5_000, 35),
        (100_000, 158), (262_144, 256), (10_000_000, 256),
    ],
)
def test_choose_k(n, k):
    assert choose_k(n) == k


def blobs(k: int, per: int, dim: int, seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(k), per)
    x = centres[labels] + 0.05 * rng.normal(size=(k * per, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), labels[order]


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch):
    monkeypatch.setenv("LOUPE_DEVICE", "cpu")  # the CPU side of indexing.vectors.devices


def test_kmeans_recovers_blobs():
    # Data for which the single random initialisation happens to land one seed per blob;
    # the test below shows that this is not so for most data.
    x, truth = blobs(k=5, per=80, dim=32, seed=1)
    found = kmeans(x, 5)
    assert found.shape == (400,)
    assert found.dtype == np.int32
    assert set(found.tolist()) == set(range(5))
    assert adjusted_rand_score(truth, found) == pytest.approx(1.0)


def test_kmeans_recovers_well_separated_blobs_for_any_data():
    scores = []
    for seed in range(10):
        x, truth = blobs(k=3, per=100, dim=32, seed=seed)
        scores.append(round(adjusted_rand_score(truth, kmeans(x, 3)), 2))
    assert scores == [1.0] * 10


def test_kmeans_deterministic_for_a_seed():
    x, _ = blobs(k=4, per=50, dim=16, seed=1)
    np.testing.assert_array_equal(kmeans(x, 4, seed=3), kmeans(x, 4, seed=3))


def test_kmeans_k_one_and_k_capped_by_n():
    x, _ = blobs(k=2, per=3, dim=8, seed=2)
    ones = kmeans(x, 1)
    assert ones.dtype == np.int32
    assert ones.tolist() == [0] * 6
    many = kmeans(x[:3], 10)  # k capped at n = 3
    assert many.shape == (3,)
    assert set(many.tolist()) <= {0, 1, 2}


TOPICS = [
    ["guitar", "melody", "chord", "rhythm", "harmony"],
    ["protein", "enzyme", "molecule", "membrane", "cell"],
    ["glacier", "volcano", "tectonic", "sediment", "erosion"],
]
COMMON = ["people", "ideas", "discuss", "stories"]  # in every cluster, in no stop list


def planted_corpus(seed: int = 0):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for cluster, vocab in enumerate(TOPICS):
        for _ in range(30):
            words = list(rng.choice(vocab, size=12)) + list(rng.choice(COMMON, size=12))
            rng.shuffle(words)
            texts.append(" ".join(words))
            labels.append(cluster)
    return texts, np.array(labels)


def test_keywords_planted_vocabulary_on_top():
    texts, labels = planted_corpus()
    result = keywords(texts, labels, 3, top=5)
    assert len(result) == 3
    for words, vocab in zip(result, TOPICS):
        assert sorted(words) == sorted(vocab)


def test_keywords_default_top_and_common_words_after():
    texts, labels = planted_corpus()
    result = keywords(texts, labels, 3)
    for words, vocab in zip(result, TOPICS):
        assert len(words) == clustering.KEYWORDS_PER_CLUSTER
        assert sorted(words[:5]) == sorted(vocab)
        assert set(words[5:]) <= set(COMMON)


def test_keywords_empty_cluster_gives_empty_list():
    texts, labels = planted_corpus()
    labels = np.where(labels == 2, 3, labels)  # cluster 2 has no documents
    result = keywords(texts, labels, 4, top=5)
    assert result[2] == []
    assert sorted(result[0]) == sorted(TOPICS[0])
    assert sorted(result[3]) == sorted(TOPICS[2])


def test_keywords_ignore_stop_words_numbers_and_short_tokens():
    texts = ["the and of 1234 ab x9 zebra zebra", "the quokka quokka 42 of"]
    result = keywords(texts, np.array([0, 1]), 2)
    assert result == [["zebra"], ["quokka"]]


def test_keywords_no_words_at_all():
    assert keywords(["123 456", "!!", ""], np.array([0, 1, 1]), 3) == [[], [], []]
