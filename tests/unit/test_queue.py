"""The labelling queue: which unlabelled documents come next, in random or nearest order."""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexing.curate.queue import labelling_queue

VOCABULARY = [f"word{i}" for i in range(40)]


def _docs(n: int = 40, seed: int = 3) -> list[dict]:
    """Distinct bags of words, so the hash embedder gives distinct, untied similarities."""
    rng = random.Random(seed)
    return [{"id": f"d{i:02d}", "text": " ".join(rng.sample(VOCABULARY, 6))} for i in range(n)]


DOCS = _docs()
IDS = [d["id"] for d in DOCS]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def _similarity(ws) -> dict[str, dict[str, float]]:
    """Cosine similarity between every pair of stored vectors (they are unit length)."""
    table = ws.docs(columns=["id", "vector"])
    ids = table["id"].to_pylist()
    vectors = np.array(table["vector"].to_pylist(), dtype=np.float64)
    sims = vectors @ vectors.T
    return {a: {b: float(sims[i, j]) for j, b in enumerate(ids)} for i, a in enumerate(ids)}


def test_random_queue_skips_documents_labelled_under_that_name_only(ws):
    ws.labels.add(["d00", "d01", "d02", "d03"], "quality", "bad")
    ws.labels.add(["d04", "d05"], "topic", "dates")
    ws.labels.add(["d06"], "quality", "good")
    ws.labels.add(["d06"], "quality", None)  # cleared: unlabelled again
    queue = labelling_queue(ws, IDS, "quality", "random", seed=1, limit=1000)
    assert len(queue) == len(set(queue)) == len(IDS) - 4
    assert set(queue) == set(IDS) - {"d00", "d01", "d02", "d03"}
    assert {"d04", "d05", "d06"} <= set(queue)
    topic = labelling_queue(ws, IDS, "topic", "random", seed=1, limit=1000)
    assert set(topic) == set(IDS) - {"d04", "d05"}


def test_random_queue_is_seeded_limited_and_drawn_from_the_candidates(ws):
    full = labelling_queue(ws, IDS, "quality", "random", seed=5, limit=1000)
    assert sorted(full) == sorted(IDS)
    assert labelling_queue(ws, IDS, "quality", "random", seed=5, limit=1000) == full
    assert labelling_queue(ws, IDS, "quality", "random", seed=6, limit=1000) != full
    assert full != sorted(full)  # shuffled, not in docs order
    assert labelling_queue(ws, IDS, "quality", "random", seed=5, limit=7) == full[:7]
    assert labelling_queue(ws, IDS, "quality", "random", seed=5, limit=0) == []
    assert labelling_queue(ws, IDS, "quality", "nearest", seed=5, limit=0) == []
    some = IDS[10:20] + IDS[10:13]  # a selection, with repeats
    picked = labelling_queue(ws, some, "quality", "random", seed=5, limit=1000)
    assert sorted(picked) == IDS[10:20]
    assert labelling_queue(ws, [], "quality", "random") == []


def test_labelling_the_first_document_advances_the_queue(ws):
    before = labelling_queue(ws, IDS, "quality", "random", seed=2, limit=5)
    assert len(before) == 5
    ws.labels.add([before[0]], "quality", "good")
    after = labelling_queue(ws, IDS, "quality", "random", seed=2, limit=5)
    assert after[0] != before[0] and before[0] not in after
    assert after[:4] == before[1:]  # the same order, one step on
    ws.labels.add([after[0]], "topic", "x")  # another name does not advance the quality queue
    assert labelling_queue(ws, IDS, "quality", "random", seed=2, limit=5) == after


def _scores(sims: dict[str, float], ids) -> list[float]:
    return [round(sims[i], 5) for i in ids]  # rounded: float32 FAISS vs float64 here


def test_nearest_queue_starts_with_the_nearest_unlabelled_neighbour(ws):
    sims = _similarity(ws)
    # hashed bags of words tie often: steer with a document whose nearest neighbour is unique
    def gap(doc):
        top = sorted((v for k, v in sims[doc].items() if k != doc), reverse=True)
        return top[0] - top[1]
    seed_doc = max(IDS, key=gap)
    assert gap(seed_doc) > 1e-3
    ws.labels.add([seed_doc], "quality", "bad")
    queue = labelling_queue(ws, IDS, "quality", "nearest", seed=0, limit=10)
    neighbours = ws.neighbors(seed_doc, k=len(IDS) - 1)["id"].to_pylist()
    assert len(queue) == 10 and seed_doc not in queue
    assert queue[0] == neighbours[0]
    others = [i for i in IDS if i != seed_doc]
    # the ten most similar, most similar first (ties in any order)
    assert _scores(sims[seed_doc], queue) == sorted(_scores(sims[seed_doc], others), reverse=True)[:10]
    assert queue != labelling_queue(ws, IDS, "quality", "random", seed=0, limit=10)


def test_nearest_queue_ranks_by_the_closest_labelled_document(ws):
    steering = ["d03", "d21"]
    ws.labels.add(steering, "quality", "bad")
    ws.labels.add(["d30"], "topic", "x")  # labelled under another name: still queued, never steers
    sims = _similarity(ws)
    candidates = IDS[::2] + ["d21"]  # a selection that includes one labelled doc
    queue = labelling_queue(ws, candidates, "quality", "nearest", seed=0, limit=1000)
    unlabelled = [i for i in dict.fromkeys(candidates) if i not in steering]
    assert sorted(queue) == sorted(unlabelled) and "d30" in queue
    best = {i: max(sims[s][i] for s in steering) for i in unlabelled}
    assert _scores(best, queue) == sorted(_scores(best, unlabelled), reverse=True)
    # by the closest of the two, not by either one alone
    assert _scores(sims["d03"], queue) != sorted(_scores(sims["d03"], queue), reverse=True)
    assert _scores(sims["d21"], queue) != sorted(_scores(sims["d21"], queue), reverse=True)
    short = labelling_queue(ws, candidates, "quality", "nearest", seed=9, limit=3)
    assert _scores(best, short) == _scores(best, queue[:3])


def test_nearest_queue_without_labels_of_that_name_is_the_random_order(ws):
    ws.labels.add(["d01"], "topic", "x")
    assert labelling_queue(ws, IDS, "quality", "nearest", seed=4, limit=12) == labelling_queue(
        ws, IDS, "quality", "random", seed=4, limit=12)


def test_nearest_queue_fills_up_with_candidates_outside_the_index(ws):
    ws.labels.add(["d00"], "quality", "bad")
    queue = labelling_queue(ws, ["d01", "d02", "new1", "new2"], "quality", "nearest", limit=10)
    assert set(queue[:2]) == {"d01", "d02"} and set(queue[2:]) == {"new1", "new2"}


def test_unknown_order_is_refused(ws):
    with pytest.raises(ValueError, match="unknown queue order 'closest'"):
        labelling_queue(ws, IDS, "quality", "closest")
