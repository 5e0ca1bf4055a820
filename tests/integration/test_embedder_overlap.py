"""The real model through the overlapped encoder: the same vectors as without overlap and as
plain `SentenceTransformer.encode`, and one model encoding in two threads at once."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from indexing.vectors.embedder import SentenceTransformerEmbedder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedder():
    # Small budgets: many batches of mixed sizes, so the overlap really runs ahead.
    return SentenceTransformerEmbedder(device="cpu", batch_size=16, batch_tokens=1024)


@pytest.fixture(scope="module")
def texts(stdlib_rows):
    rows = [r["text"] for r in stdlib_rows[:80]]
    return rows + ["", "a", "short text", "word " * 600]  # empty, one token, truncated


def test_overlapped_vectors_equal_plain_and_sentence_transformers(embedder, texts):
    embedder.overlap = True
    done = []
    overlapped = embedder.encode(texts, advance=done.append)
    embedder.overlap = False
    plain = embedder.encode(texts)
    embedder.overlap = True
    assert sum(done) == len(texts) and len(done) > 8
    np.testing.assert_allclose(overlapped, plain, atol=1e-6, rtol=0)
    reference = embedder.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(overlapped, reference, atol=1e-5, rtol=0)
    assert overlapped.dtype == np.float32 and overlapped.shape == (len(texts), embedder.dimension)


def test_two_threads_encoding_at_once(embedder, texts):
    """The app's sessions search at the same time through one cached model: their encode calls
    share its tokenizer (token counting, which would change its truncation, has a copy of its
    own: test_tokenizer_threads)."""
    expected = embedder.encode(texts)
    errors, results = [], []

    def encode():
        try:
            for _ in range(3):
                results.append(embedder.encode(texts))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    others = [threading.Thread(target=encode) for _ in range(2)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    assert not errors and len(results) == 6
    for vectors in results:
        np.testing.assert_allclose(vectors, expected, atol=1e-6, rtol=0)
