"""The real model through the overlapped encoder: the same vectors as without overlap and as
plain `SentenceTransformer.encode`, and a tokenizer shared safely with a token-counting thread."""

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


def test_token_counts_in_another_thread_while_encoding(embedder, texts):
    expected = embedder.count_tokens(texts)
    errors, counts = [], []

    def count():
        try:
            for _ in range(20):
                counts.append(embedder.count_tokens(texts))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    counter = threading.Thread(target=count)
    counter.start()
    vectors = embedder.encode(texts)
    counter.join()
    assert not errors and all(c == expected for c in counts) and len(counts) == 20
    assert np.isfinite(vectors).all()
