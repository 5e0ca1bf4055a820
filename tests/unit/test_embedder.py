"""Unit tests for indexing.vectors.embedder: token batching and the hashing test embedder.

The real sentence-transformers model is never loaded here (integration tests do that).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexing.vectors.embedder import HashEmbedder, load_embedder, token_batches


def check_batches(lengths, max_items, max_tokens):
    batches = list(token_batches(lengths, max_items, max_tokens))
    flat = [i for batch in batches for i in batch]
    # every index exactly once
    assert sorted(flat) == list(range(len(lengths)))
    # longest first over the whole sequence
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        assert 1 <= len(batch) <= max_items
        longest = max(lengths[i] for i in batch)
        # padded tokens within budget, unless a single text is longer than the budget
        assert len(batch) * longest <= max_tokens or len(batch) == 1
    return batches


def test_token_batches_exact_grouping():
    lengths = [10, 100, 50, 10, 10, 100]
    batches = check_batches(lengths, max_items=4, max_tokens=200)
    # two 100s fill 200; then 50 allows 4 -> 50,10,10,10
    assert [[lengths[i] for i in b] for b in batches] == [[100, 100], [50, 10, 10, 10]]
    assert sorted(batches[0]) == [1, 5]
    assert batches[1][0] == 2 and sorted(batches[1][1:]) == [0, 3, 4]


def test_token_batches_item_limit_binds_for_short_texts():
    lengths = [3] * 10
    batches = check_batches(lengths, max_items=4, max_tokens=10_000)
    assert [len(b) for b in batches] == [4, 4, 2]


def test_token_batches_text_longer_than_budget_goes_alone():
    lengths = [500, 20, 20]
    batches = check_batches(lengths, max_items=8, max_tokens=100)
    assert batches[0] == [0]
    assert [len(b) for b in batches] == [1, 2]


def test_token_batches_zero_lengths_and_empty():
    assert list(token_batches([], 4, 100)) == []
    batches = check_batches([0, 0, 0], max_items=2, max_tokens=100)
    assert [len(b) for b in batches] == [2, 1]


@pytest.mark.parametrize("seed", range(5))
def test_token_batches_random(seed):
    rng = random.Random(seed)
    lengths = [rng.randint(1, 512) for _ in range(rng.randint(1, 400))]
    max_items = rng.choice([1, 7, 32, 128])
    max_tokens = rng.choice([256, 1000, 8192])
    check_batches(lengths, max_items, max_tokens)


# --- HashEmbedder ------------------------------------------------------------------


TEXTS = ["The cat sat on the mat.", "the CAT sat on the mat", "Quantum chromodynamics", "a b c d e"]


def test_hash_embedder_attributes():
    e = HashEmbedder(32)
    assert (e.name, e.dimension, e.max_tokens, e.device) == ("hash:32", 32, 512, "cpu")
    assert HashEmbedder().name == "hash:64"


def test_hash_embedder_deterministic_normalised_shape():
    e = HashEmbedder(64)
    a = e.encode(TEXTS)
    b = HashEmbedder(64).encode(TEXTS)
    assert a.shape == (4, 64)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)


def test_hash_embedder_case_and_punctuation_insensitive():
    v = HashEmbedder(64).encode(TEXTS)
    np.testing.assert_array_equal(v[0], v[1])
    assert float(v[0] @ v[2]) < 0.99


def test_hash_embedder_single_text_matches_batch():
    e = HashEmbedder(16)
    batch = e.encode(TEXTS)
    for i, t in enumerate(TEXTS):
        np.testing.assert_array_equal(e.encode([t])[0], batch[i])


def test_hash_embedder_single_word_is_a_signed_basis_vector():
    v = HashEmbedder(64).encode(["word"])[0]
    assert np.count_nonzero(v) == 1
    assert abs(v[np.flatnonzero(v)[0]]) == 1.0


def test_hash_embedder_empty_text_gives_unit_vector():
    e = HashEmbedder(8)
    v = e.encode(["", "!!! ...", "hello"])
    expected = np.zeros(8, dtype=np.float32)
    expected[0] = 1.0
    np.testing.assert_array_equal(v[0], expected)
    np.testing.assert_array_equal(v[1], expected)
    assert np.linalg.norm(v[2]) == pytest.approx(1.0)


def test_hash_embedder_empty_input_and_advance():
    e = HashEmbedder(8)
    calls = []
    out = e.encode([], advance=calls.append)
    assert out.shape == (0, 8)
    out = e.encode(["a", "b", "c"], advance=calls.append)
    assert out.shape == (3, 8)
    assert calls == [0, 3]


def test_hash_embedder_count_tokens():
    e = HashEmbedder(8)
    assert e.count_tokens(["", "one", "two words", "a, b; c!  d_e 42", "naïve café"]) == [0, 1, 2, 5, 2]


def test_hash_embedder_caps_words_at_max_tokens():
    e = HashEmbedder(64)
    words = [f"w{i}" for i in range(600)]
    long = e.encode([" ".join(words)])[0]
    capped = e.encode([" ".join(words[:512])])[0]
    np.testing.assert_array_equal(long, capped)


# --- load_embedder -------------------------------------------------------------------


def test_load_embedder_hash():
    e = load_embedder("hash:16")
    assert isinstance(e, HashEmbedder)
    assert e.dimension == 16
    assert e.name == "hash:16"
    assert e.encode(["x y"]).shape == (1, 16)


def test_load_embedder_hash_default_dimension():
    e = load_embedder("hash:")
    assert isinstance(e, HashEmbedder)
    assert e.dimension == 64
