"""Token counts in the reading thread while the model embeds in another: the ingest pass
does both at once, and since the model may load in the background (and the GPU path
tokenises ahead), they overlap every time. A Hugging Face fast tokenizer is one Rust
object whose truncation settings each call changes, so two threads sharing it fail with
"Already borrowed" (a resumed `loupe index` crashed on it). Counting has its own copy."""

from __future__ import annotations

import threading
import time

from indexing.vectors.embedder import load_embedder


def test_counting_and_embedding_in_two_threads_at_once():
    embedder = load_embedder()
    texts = ["word " * 600, "a short text"] * 4  # the long one is truncated when embedded
    expected = embedder.count_tokens(texts)
    errors, counted = [], []
    stop = time.perf_counter() + 5

    def count() -> None:
        while time.perf_counter() < stop and not errors:
            try:
                counted.append(embedder.count_tokens(texts))
            except Exception as error:  # noqa: BLE001 - the failure this test looks for
                errors.append(repr(error))

    counter = threading.Thread(target=count)
    counter.start()
    embedded = 0
    while time.perf_counter() < stop and not errors:
        try:
            embedder.encode(texts[:2])
            embedded += 1
        except Exception as error:  # noqa: BLE001
            errors.append(repr(error))
    counter.join()
    assert errors == []
    assert embedded and counted and all(c == expected for c in counted)
    assert expected[0] == 600 and expected[0] > embedder.max_tokens  # counted whole, not truncated
