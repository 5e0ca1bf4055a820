"""Search by example (indexing/curate/by_example.py): more like / least like a few documents,
checked against brute force over the stored vectors. Real LanceDB and FAISS; the model is
`hash:32`, the deterministic bag-of-words test embedder."""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexing import LoupeError, SelectionError, SettingError
from indexing.curate import by_example
from indexing.vectors import stored
from indexing.vectors.vector_index import VectorIndex

VOCABULARY = [f"word{i}" for i in range(60)]


def _docs(n: int = 90, seed: int = 4) -> list[dict]:
    """Distinct bags of words (untied similarities); `part` splits them for filters."""
    rng = random.Random(seed)
    return [{"id": f"d{i:02d}", "text": " ".join(rng.sample(VOCABULARY, 7)), "part": i % 3} for i in range(n)]


DOCS = _docs()
EXAMPLES = ["d03", "d10", "d42"]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS, map=False)


def _brute(ws, examples) -> dict[str, float]:
    """Cosine similarity of every document to the examples' normalised centroid."""
    table = ws.docs(columns=["id", "vector"])
    ids = table["id"].to_pylist()
    vectors = np.array(table["vector"].to_pylist(), dtype=np.float64)
    centre = vectors[[ids.index(e) for e in examples]].sum(axis=0)
    centre /= np.linalg.norm(centre)
    return dict(zip(ids, (vectors @ centre).tolist()))


def _ranked(scores: dict[str, float], keep, reverse: bool) -> list[str]:
    ids = [i for i in scores if keep(i)]
    return sorted(ids, key=lambda i: scores[i], reverse=reverse)


def _agrees(found: list[str], expected: list[str], scores: dict[str, float], keep) -> None:
    """`found` is the brute-force ranking up to ties (bags of words tie): distinct ids the
    restriction keeps, whose true similarities are, rank by rank, the expected ones."""
    assert len(found) == len(set(found)) == len(expected)
    assert all(keep(i) for i in found)
    np.testing.assert_allclose([scores[i] for i in found], [scores[i] for i in expected], atol=1e-5)


def test_more_like_is_the_nearest_to_the_centroid_without_the_examples(ws):
    found = ws.more_like(EXAMPLES, k=10)
    scores = _brute(ws, EXAMPLES)
    expected = _ranked(scores, lambda i: i not in EXAMPLES, reverse=True)[:10]
    _agrees(found["id"].to_pylist(), expected, scores, lambda i: i not in EXAMPLES)
    assert found.column_names == ["id", "text", "_score"]
    np.testing.assert_allclose(found["_score"].to_pylist(), [scores[i] for i in expected], atol=1e-5)
    assert found["text"].to_pylist()[0] == next(d["text"] for d in DOCS if d["id"] == found["id"][0].as_py())


def test_many_examples_are_left_out_by_restricting_the_search(ws, monkeypatch):
    examples = [d["id"] for d in DOCS[:30]]
    scores = _brute(ws, examples)
    keep = lambda i: i not in examples  # noqa: E731
    asked_more = ws.more_like(examples, k=12, columns=["id"])["id"].to_pylist()
    monkeypatch.setattr(by_example, "ASK_PAST", 5)  # 30 examples are "many": the search is restricted instead
    restricted = ws.more_like(examples, k=12, columns=["id"])["id"].to_pylist()
    for found in (asked_more, restricted):
        _agrees(found, _ranked(scores, keep, reverse=True)[:12], scores, keep)


def test_more_like_honours_the_filter_and_the_id_restriction(ws):
    scores = _brute(ws, EXAMPLES)
    part = {d["id"]: d["part"] for d in DOCS}
    keep = lambda i: part[i] == 1 and i not in EXAMPLES  # noqa: E731
    found = ws.more_like(EXAMPLES, k=8, where="part = 1", columns=["id"])["id"].to_pylist()
    _agrees(found, _ranked(scores, keep, reverse=True)[:8], scores, keep)
    within = [d["id"] for d in DOCS[:30]]
    keep = lambda i: i in within and part[i] != 2 and i not in EXAMPLES  # noqa: E731
    found = ws.more_like(EXAMPLES, k=5, where="part != 2", ids=within, columns=["id"])["id"].to_pylist()
    _agrees(found, _ranked(scores, keep, reverse=True)[:5], scores, keep)
    # the examples are excluded even when the filter keeps them, and the filter holds labels too
    ws.labels.add(["d05", "d06", "d07"], "quality", "bad")
    found = ws.more_like(EXAMPLES, k=90, where="quality != 'bad'", columns=["id"])["id"].to_pylist()
    assert len(found) == 90 - 3 - 3 and not {"d05", "d06", "d07", *EXAMPLES} & set(found)


@pytest.mark.parametrize("source", ["index", "stored"])
def test_least_like_is_the_farthest_within_the_filter_in_small_batches(ws, monkeypatch, source):
    if source == "stored":  # an index that does not hold its vectors plainly (IVF): the stored column
        monkeypatch.setattr(VectorIndex, "flat_vectors", lambda self: None)
    scores = _brute(ws, EXAMPLES)
    everything = ws.least_like(EXAMPLES, k=7)
    keep = lambda i: i not in EXAMPLES  # noqa: E731
    _agrees(everything["id"].to_pylist(), _ranked(scores, keep, reverse=False)[:7], scores, keep)
    assert everything["_score"].to_pylist() == sorted(everything["_score"].to_pylist())
    part = {d["id"]: d["part"] for d in DOCS}
    keep = lambda i: part[i] == 0 and i not in EXAMPLES  # noqa: E731
    expected = _ranked(scores, keep, reverse=False)[:6]
    whole = ws.least_like(EXAMPLES, k=6, where="part = 0", columns=["id"])["id"].to_pylist()
    _agrees(whole, expected, scores, keep)
    real = stored.vector_batches
    monkeypatch.setattr(by_example, "vector_batches", lambda store, ids: real(store, ids, batch_size=4))
    monkeypatch.setattr(by_example, "INDEX_BATCH", 4)
    batched = ws.least_like(EXAMPLES, k=6, where="part = 0", columns=["id"])["id"].to_pylist()  # 23 batches
    _agrees(batched, expected, scores, keep)
    assert len(ws.least_like(EXAMPLES, k=500, columns=["id"])) == len(DOCS) - len(EXAMPLES)


def test_least_like_among_the_examples_gives_their_outliers(ws):
    seeds = [d["id"] for d in DOCS[:20]]
    scores = _brute(ws, seeds)
    found = ws.least_like(seeds, k=3, among="examples")
    _agrees(found["id"].to_pylist(), _ranked(scores, lambda i: i in seeds, reverse=False)[:3], scores,
            lambda i: i in seeds)
    within = ws.least_like(seeds, k=30, among="examples", where="part = 2", columns=["id"])["id"].to_pylist()
    assert set(within) == {i for i in seeds if DOCS[int(i[1:])]["part"] == 2}


def test_the_index_lends_its_vectors_without_a_copy(ws):
    table = ws.docs(columns=["id", "vector"])
    index = ws.vector_index()
    view = index.flat_vectors()
    assert not view.flags.writeable and not view.flags.owndata
    expected = np.array(table["vector"].to_pylist(), np.float32)
    np.testing.assert_array_equal(view[[index.positions[i] for i in table["id"].to_pylist()]], expected)


def test_vector_batches_give_every_row_or_only_the_asked_ones(ws):
    table = ws.docs(columns=["id", "vector"])
    pieces = list(stored.vector_batches(ws.store, batch_size=16))
    assert len(pieces) == 6
    assert sum((ids.to_pylist() for ids, _ in pieces), []) == table["id"].to_pylist()
    np.testing.assert_array_equal(np.vstack([m for _, m in pieces]), np.array(table["vector"].to_pylist(), np.float32))
    asked = list(stored.vector_batches(ws.store, ["d07", "d70", "nope"], batch_size=16))
    assert [i for ids, _ in asked for i in ids.to_pylist()] == ["d07", "d70"]


def test_bad_examples_and_settings_are_loupe_errors_that_say_what_to_do(ws):
    with pytest.raises(SelectionError, match="no example documents"):
        ws.more_like([])
    with pytest.raises(SelectionError, match=r"2 example id\(s\) are not documents.*'ghost'.*'d99'"):
        ws.least_like(["d01", "ghost", "d99"])
    with pytest.raises(SettingError, match="k must be"):
        ws.more_like(["d01"], k=0)
    with pytest.raises(SettingError, match="among must be one of filter, examples"):
        ws.least_like(["d01"], among="corpus")
    with pytest.raises(SelectionError):
        ws.more_like(["d01"], where="no_such_column > 1")
    assert issubclass(SelectionError, LoupeError)
    # one example is enough, and a single id string is one example
    assert ws.more_like("d01", k=3, columns=["id"])["id"].to_pylist() == ws.neighbors("d01", k=3, columns=["id"])["id"].to_pylist()


def test_an_hnsw_index_lends_its_vectors_and_ivf_does_not(tmp_path, monkeypatch):
    from indexing.vectors import vector_index

    vectors = np.random.default_rng(3).standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"v{i}" for i in range(300)]
    monkeypatch.setattr(vector_index, "EXACT_MAX_ROWS", 100)  # above it: HNSW (on the CPU)
    monkeypatch.setattr(vector_index.devices, "use_gpu", lambda: False)
    (tmp_path / "hnsw").mkdir()
    vector_index.build_index(tmp_path / "hnsw", vectors, ids)
    loaded = VectorIndex.load(tmp_path / "hnsw")
    assert loaded.meta["kind"] == "hnsw"
    np.testing.assert_array_equal(loaded.flat_vectors(), vectors)
    ivf, _ = vector_index._build(vectors, gpu=True)  # the IVF twin on the host: no plain copy to lend
    assert VectorIndex(ivf, ids, {"build": "x"}).flat_vectors() is None
