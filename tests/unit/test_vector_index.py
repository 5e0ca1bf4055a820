"""Unit tests for indexing.vectors.vector_index: build/load round trip, HNSW recall, filtered search, rebuilds."""

from __future__ import annotations

import json
import sys

import faiss
import numpy as np
import pytest

from indexing.vectors import vector_index
from indexing.vectors.vector_index import CURRENT, VectorIndex, build_index


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_top(queries: np.ndarray, vectors: np.ndarray, k: int, allowed=None):
    """Brute-force top-k positions by inner product (restricted to `allowed`)."""
    sims = queries @ vectors.T
    if allowed is not None:
        mask = np.full(len(vectors), -np.inf, dtype=np.float32)
        mask[allowed] = 0
        sims = sims + mask
    top = np.argsort(-sims, axis=1)[:, :k]
    return np.take_along_axis(sims, top, axis=1), top


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch):
    # The kind chosen must not depend on whether this machine's faiss sees a GPU.
    monkeypatch.setenv("LOUPE_DEVICE", "cpu")


@pytest.fixture
def flat(tmp_path):
    vectors = unit_vectors(500, 16, seed=1)
    ids = [f"doc-{i:04d}" for i in range(500)]
    meta = build_index(tmp_path, vectors, ids)
    return tmp_path, vectors, ids, meta


def test_flat_round_trip(flat):
    root, vectors, ids, meta = flat
    assert meta["kind"] == "flat"
    assert meta["rows"] == 500
    assert meta["dimension"] == 16
    assert len(meta["build"]) == 12
    assert json.loads((root / "faiss" / CURRENT).read_text()) == meta
    assert json.loads((root / "faiss" / meta["build"] / "meta.json").read_text()) == meta

    loaded = VectorIndex.load(root)
    assert loaded.meta == meta
    assert loaded.ids == ids
    assert isinstance(loaded.index, faiss.IndexFlatIP)
    assert loaded.index.ntotal == 500
    np.testing.assert_array_equal(loaded.index.reconstruct_n(0, 500), vectors)


def test_ids_mapping(flat):
    root, _, ids, _ = flat
    loaded = VectorIndex.load(root)
    assert loaded.positions == {doc_id: i for i, doc_id in enumerate(ids)}
    assert loaded.positions["doc-0123"] == 123
    assert loaded.ids[loaded.positions["doc-0499"]] == "doc-0499"


def test_flat_search_is_exact(flat):
    root, vectors, _, _ = flat
    loaded = VectorIndex.load(root)
    queries = vectors[[0, 17, 256]]
    scores, positions = loaded.search(queries, 10)
    assert positions.shape == (3, 10)
    assert positions[:, 0].tolist() == [0, 17, 256]
    np.testing.assert_allclose(scores[:, 0], 1.0, rtol=1e-5)
    exp_scores, exp_positions = exact_top(queries, vectors, 10)
    np.testing.assert_array_equal(positions, exp_positions)
    np.testing.assert_allclose(scores, exp_scores, rtol=1e-5)


def test_search_accepts_one_dimensional_query(flat):
    root, vectors, _, _ = flat
    scores, positions = VectorIndex.load(root).search(vectors[42].astype(np.float64), 3)
    assert positions.shape == (1, 3)
    assert positions[0, 0] == 42


def test_search_pads_when_k_exceeds_rows(tmp_path):
    vectors = unit_vectors(3, 8, seed=2)
    build_index(tmp_path, vectors, ["a", "b", "c"])
    scores, positions = VectorIndex.load(tmp_path).search(vectors[:1], 5)
    assert sorted(positions[0, :3].tolist()) == [0, 1, 2]
    assert positions[0, 3:].tolist() == [-1, -1]


# --- restricted search ---------------------------------------------------------------


def test_allowed_small_subset_exact(flat):
    root, vectors, _, _ = flat
    loaded = VectorIndex.load(root)
    allowed = np.arange(3, 500, 7)  # 71 positions
    queries = unit_vectors(4, 16, seed=3)
    scores, positions = loaded.search(queries, 10, allowed=allowed)
    assert set(positions.ravel().tolist()) <= set(allowed.tolist())
    exp_scores, exp_positions = exact_top(queries, vectors, 10, allowed)
    np.testing.assert_array_equal(positions, exp_positions)
    np.testing.assert_allclose(scores, exp_scores, rtol=1e-5)
    assert scores.dtype == np.float32
    assert positions.dtype == np.int64


def test_allowed_fewer_than_k_pads(flat):
    root, vectors, _, _ = flat
    loaded = VectorIndex.load(root)
    allowed = np.array([9, 400, 11])
    scores, positions = loaded.search(vectors[400], 5, allowed=allowed)
    assert positions.shape == (1, 5)
    assert positions[0, 0] == 400
    assert sorted(positions[0, :3].tolist()) == [9, 11, 400]
    assert positions[0, 3:].tolist() == [-1, -1]
    assert np.isneginf(scores[0, 3:]).all()
    assert np.isfinite(scores[0, :3]).all()


def test_allowed_empty(flat):
    root, vectors, _, _ = flat
    scores, positions = VectorIndex.load(root).search(vectors[:2], 4, allowed=np.array([], dtype=np.int64))
    assert positions.tolist() == [[-1] * 4] * 2
    assert np.isneginf(scores).all()


def test_allowed_large_uses_selector_on_flat(tmp_path):
    # more than 50,000 allowed positions goes through faiss' IDSelectorBatch
    n = 60_000
    vectors = unit_vectors(n, 8, seed=4)
    build_index(tmp_path, vectors, [str(i) for i in range(n)])
    loaded = VectorIndex.load(tmp_path)
    allowed = np.arange(0, n, 2)[:50_001]  # even positions only
    queries = vectors[[1, 3, 10]]  # two odd (not allowed) and one even
    scores, positions = loaded.search(queries, 10, allowed=allowed)
    assert positions.shape == (3, 10)
    assert (positions % 2 == 0).all()
    assert (positions <= allowed[-1]).all()
    assert positions[2, 0] == 10
    exp_scores, exp_positions = exact_top(queries, vectors, 10, allowed)
    np.testing.assert_array_equal(positions, exp_positions)
    np.testing.assert_allclose(scores, exp_scores, rtol=1e-5)


# --- HNSW ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hnsw(tmp_path_factory):
    root = tmp_path_factory.mktemp("hnsw")
    vectors = unit_vectors(3_000, 32, seed=5)
    mp = pytest.MonkeyPatch()
    mp.setattr(vector_index, "EXACT_MAX_ROWS", 100)
    mp.setenv("LOUPE_DEVICE", "cpu")
    try:
        meta = build_index(root, vectors, [f"h{i}" for i in range(3_000)])
    finally:
        mp.undo()
    return root, vectors, meta


def recall(found: np.ndarray, expected: np.ndarray) -> float:
    hits = sum(len(set(f) & set(e)) for f, e in zip(found.tolist(), expected.tolist()))
    return hits / expected.size


def test_hnsw_build_and_load(hnsw):
    root, _, meta = hnsw
    assert meta["kind"] == "hnsw"
    assert meta["rows"] == 3_000
    loaded = VectorIndex.load(root)
    assert isinstance(loaded.index, faiss.IndexHNSW)
    assert loaded.index.hnsw.efSearch == vector_index.HNSW_EF_SEARCH
    assert loaded.index.ntotal == 3_000
    assert loaded.ids[2_999] == "h2999"


def test_hnsw_recall_at_10(hnsw):
    root, vectors, _ = hnsw
    queries = unit_vectors(200, 32, seed=6)
    _, found = VectorIndex.load(root).search(queries, 10)
    _, expected = exact_top(queries, vectors, 10)
    assert recall(found, expected) >= 0.9


def test_hnsw_allowed_small_subset_is_exact(hnsw):
    root, vectors, _ = hnsw
    allowed = np.arange(0, 3_000, 11)
    queries = unit_vectors(20, 32, seed=7)
    scores, positions = VectorIndex.load(root).search(queries, 10, allowed=allowed)
    exp_scores, exp_positions = exact_top(queries, vectors, 10, allowed)
    np.testing.assert_array_equal(positions, exp_positions)
    np.testing.assert_allclose(scores, exp_scores, rtol=1e-5)


def test_hnsw_allowed_large_uses_selector(hnsw):
    # Positions past the index's end never match; they only push the allowed list over
    # 50,000 so that the IDSelector path runs without building a 50k-vector HNSW graph.
    root, vectors, _ = hnsw
    real = np.arange(0, 3_000, 3)
    allowed = np.concatenate([real, np.arange(3_000, 3_000 + 50_000)])
    queries = unit_vectors(50, 32, seed=8)
    _, positions = VectorIndex.load(root).search(queries, 10, allowed=allowed)
    assert (positions >= 0).all()
    assert (positions % 3 == 0).all()
    _, expected = exact_top(queries, vectors, 10, real)
    assert recall(positions, expected) >= 0.9


# --- rebuilds ---------------------------------------------------------------------


def test_rebuild_replaces_old_build(tmp_path):
    first = build_index(tmp_path, unit_vectors(50, 8, seed=9), [f"a{i}" for i in range(50)])
    second_vectors = unit_vectors(30, 8, seed=10)
    second = build_index(tmp_path, second_vectors, [f"b{i}" for i in range(30)])
    assert second["build"] != first["build"]
    folder = tmp_path / "faiss"
    assert sorted(p.name for p in folder.iterdir()) == sorted([second["build"], CURRENT])
    assert sorted(p.name for p in (folder / second["build"]).iterdir()) == [
        "ids.parquet", "index.faiss", "meta.json",
    ]
    assert json.loads((folder / CURRENT).read_text()) == second
    loaded = VectorIndex.load(tmp_path)
    assert loaded.meta == second
    assert loaded.ids == [f"b{i}" for i in range(30)]
    np.testing.assert_array_equal(loaded.index.reconstruct_n(0, 30), second_vectors)


def test_the_index_files_are_on_disk_before_current_json_points_at_them(tmp_path, monkeypatch):
    """A power loss after the switch must not leave current.json naming files still in the
    page cache: the build's folder is flushed before the pointer is written."""
    import indexing.vectors.vector_index as vector_index

    events = []
    real_flush, real_write = vector_index.fsync_tree, vector_index.atomic_write_text
    monkeypatch.setattr(vector_index, "fsync_tree", lambda root: events.append(("flush", root.name)) or real_flush(root))
    monkeypatch.setattr(vector_index, "atomic_write_text",
                        lambda path, text: events.append(("write", path.name)) or real_write(path, text))
    meta = build_index(tmp_path, np.eye(3, 8, dtype=np.float32), ["a", "b", "c"])
    assert events.index(("flush", meta["build"])) < events.index(("write", CURRENT))


def _anonymous_bytes() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RssAnon as Linux reports it")
def test_a_saved_index_is_mapped_not_copied_into_the_heap(tmp_path):
    """A million rows' HNSW index is 1.8 GB: read into each process's heap it took 1.5 s to
    open (many seconds on a busy app server) and kept the app over its memory bar."""
    vectors = unit_vectors(60_000, 384, seed=9)  # 92 MB of vectors, a flat index
    build_index(tmp_path, vectors, [f"m{i}" for i in range(60_000)])
    size = (tmp_path / "faiss" / json.loads((tmp_path / "faiss" / CURRENT).read_text())["build"]
            / "index.faiss").stat().st_size
    before = _anonymous_bytes()
    loaded = VectorIndex.load(tmp_path)
    grown = _anonymous_bytes() - before
    assert grown < size / 4, f"loading a {size >> 20} MB index added {grown >> 20} MB to the heap"
    scores, positions = loaded.search(vectors[:3], 5)
    assert positions[:, 0].tolist() == [0, 1, 2]
    assert loaded.flat_vectors()[7].tolist() == vectors[7].tolist()
    assert loaded.search(vectors[:2], 5, allowed=np.arange(100, 200))[1].min() >= 100
