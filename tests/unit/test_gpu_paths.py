"""The GPU paths' branch logic and their CPU twins (this machine has no GPU).

Each GPU path is one code path with a device-dependent part (an index factory, a mover
to the GPU, faiss.Kmeans's `gpu` flag, the overlap of host and device work): the tests
force each side of the device choice and run the GPU-shaped code on the CPU, where its
results must equal the plain CPU path's. benchmarks/gpu.py runs the GPU side itself.
"""

from __future__ import annotations

import sys
import threading
import types

import faiss
import numpy as np
import pytest

from indexing.curate.dedup import semantic
from indexing.curate.dedup.groups import groups_from_pairs
from indexing.vectors import batched, clustering, devices, projection, vector_index
from indexing.vectors.embedder import HashEmbedder, resolve_device, token_batches


@pytest.fixture
def gpus(monkeypatch):
    """Make faiss report `count` GPUs (the device choice's input), without LOUPE_DEVICE."""
    monkeypatch.delenv(devices.ENV, raising=False)

    def set_count(count: int):
        monkeypatch.setattr(faiss, "get_num_gpus", lambda: count)

    return set_count


# ---- the device choice ------------------------------------------------------------------


def test_no_gpu_means_the_cpu_twin(gpus):
    gpus(0)
    assert devices.gpu_count() == 0 and not devices.use_gpu()
    index = faiss.IndexFlatIP(4)
    assert devices.to_gpu(index) is index
    assert type(devices.flat_ip(4)) is faiss.IndexFlatIP


def test_a_gpu_is_used_unless_loupe_device_is_cpu(gpus, monkeypatch):
    gpus(2)
    assert devices.gpu_count() == 2 and devices.use_gpu()
    moved = []
    monkeypatch.setattr(faiss, "index_cpu_to_all_gpus", lambda index: moved.append(index) or "on-gpu")
    index = faiss.IndexFlatIP(4)
    assert devices.to_gpu(index) == "on-gpu" and moved == [index]
    for value in ("cpu", "CPU", " cpu "):
        monkeypatch.setenv(devices.ENV, value)
        assert devices.gpu_count() == 0 and not devices.use_gpu()
        assert devices.to_gpu(index) is index
    monkeypatch.setenv(devices.ENV, "cuda")  # anything else: the GPU when there is one
    assert devices.use_gpu()


def test_torch_device_honours_loupe_device(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv(devices.ENV, raising=False)
    assert resolve_device("auto") == "cuda"
    monkeypatch.setenv(devices.ENV, "cpu")
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cuda:1") == "cuda:1"  # an explicit device is taken as given
    monkeypatch.delenv(devices.ENV)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"


# ---- overlapped encoding ----------------------------------------------------------------


def mixed_texts(n: int = 300, seed: int = 3) -> list[str]:
    rng = np.random.default_rng(seed)
    words = ["alpha", "beta", "gamma", "delta", "kernel", "shell", "vector", "index", "tree", "cloud"]
    return [" ".join(rng.choice(words, size=int(rng.integers(0, 120)))) for _ in range(n)]


def run_hash(texts, overlap, log=None):
    """encode_batches over the hashing embedder: prepare picks the texts, forward embeds them."""
    hasher = HashEmbedder(32)
    lengths = [min(t + 2, 512) for t in hasher.count_tokens(texts)]
    threads, done = set(), []

    def prepare(batch):
        threads.add(threading.get_ident())
        return [texts[i] for i in batch]

    def forward(chunk):
        if log is not None:
            log.append(("forward", len(chunk)))
        return hasher.encode(chunk)

    def fetch(vectors):
        if log is not None:
            log.append(("fetch", len(vectors)))
        return vectors

    out = batched.encode_batches(len(texts), 32, token_batches(lengths, 16, 400), prepare, forward, fetch,
                                 overlap, done.append)
    return out, threads, done


def test_overlapped_encoding_equals_plain_and_the_embedder():
    texts = mixed_texts()
    overlapped, threads, done = run_hash(texts, overlap=True)
    plain, plain_threads, _ = run_hash(texts, overlap=False)
    np.testing.assert_array_equal(overlapped, plain)
    np.testing.assert_array_equal(overlapped, HashEmbedder(32).encode(texts))
    assert sum(done) == len(texts) and len(done) > 5
    assert threading.get_ident() not in threads  # tokenised in the background
    assert plain_threads == {threading.get_ident()}


def test_a_batch_is_fetched_after_the_next_is_queued():
    log = []
    run_hash(mixed_texts(60), overlap=True, log=log)
    steps = [step for step, _ in log]
    assert steps[:3] == ["forward", "forward", "fetch"]
    assert steps.count("forward") == steps.count("fetch") > 3 and steps[-1] == "fetch"
    forwards = [i for i, s in enumerate(steps) if s == "forward"]
    fetches = [i for i, s in enumerate(steps) if s == "fetch"]
    assert all(fetch > forward for fetch, forward in zip(fetches, forwards[1:]))


def test_an_error_while_tokenising_reaches_the_caller():
    def prepare(batch):
        if batch[0] == 4:
            raise ValueError("bad text 4")
        return batch

    with pytest.raises(ValueError, match="bad text 4"):
        batched.encode_batches(8, 2, [[i] for i in range(8)], prepare, lambda b: np.ones((1, 2)), lambda v: v)


def test_no_batches_give_zero_rows():
    out = batched.encode_batches(0, 3, [], lambda b: b, lambda b: b, lambda v: v)
    assert out.shape == (0, 3) and out.dtype == np.float32


# ---- FAISS: the index ---------------------------------------------------------------------


def unit(n: int, dim: int, seed: int, centres: int = 40) -> np.ndarray:
    """Clustered unit vectors (as embeddings are): points around `centres` directions."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centres, dim)).astype(np.float32)
    x = middle[rng.integers(0, centres, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall_at_10(index, x, queries) -> float:
    _, found = index.search(queries, 10)
    exact = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)]))


def test_the_gpu_index_kind_built_on_the_cpu_twin(monkeypatch):
    monkeypatch.setenv(devices.ENV, "cpu")
    monkeypatch.setattr(vector_index, "EXACT_MAX_ROWS", 1_000)
    x = unit(6_000, 32, seed=1)
    index, kind = vector_index._build(x, gpu=True)  # the GPU branch, its mover the identity here
    assert kind == "ivf" and isinstance(index, faiss.IndexIVFFlat) and index.ntotal == len(x)
    index.nprobe = 32
    assert recall_at_10(index, x, x[:200]) >= 0.9
    assert vector_index._build(x)[1] == "hnsw"  # no GPU: HNSW


def test_a_loaded_index_searches_on_the_gpu_copy_and_filters_on_the_host(tmp_path, gpus, monkeypatch):
    x = unit(800, 16, seed=2)
    ids = [f"d{i}" for i in range(len(x))]
    vector_index.build_index(tmp_path, x, ids)
    gpus(1)
    copies = []

    class Copy:  # what index_cpu_to_all_gpus returns, searching as the host index does
        def __init__(self, index):
            self.index, self.searches = index, 0
            copies.append(self)

        def search(self, queries, k):
            self.searches += 1
            return self.index.search(queries, k)

    monkeypatch.setattr(faiss, "index_cpu_to_all_gpus", Copy)
    loaded = vector_index.VectorIndex.load(tmp_path)
    assert len(copies) == 1 and loaded.gpu is copies[0]
    scores, found = loaded.search(x[:5], 3)
    assert copies[0].searches == 1 and (found[:, 0] == np.arange(5)).all()
    allowed = np.arange(0, 800, 2)
    _, found = loaded.search(x[:5], 3, allowed=allowed)  # a filter: on the host index
    assert copies[0].searches == 1 and np.isin(found, allowed).all()
    monkeypatch.setenv(devices.ENV, "cpu")
    assert vector_index.VectorIndex.load(tmp_path).gpu is None


# ---- FAISS: k-means -----------------------------------------------------------------------


def test_kmeans_asks_faiss_for_the_gpu_only_when_there_is_one(gpus, monkeypatch):
    asked = []
    real = faiss.Kmeans

    def spy(*args, **kwargs):
        asked.append(kwargs["gpu"])
        return real(*args, **{**kwargs, "gpu": False})

    monkeypatch.setattr(faiss, "Kmeans", spy)
    x = unit(2_000, 16, seed=3, centres=8)
    gpus(0)
    on_cpu = clustering.kmeans(x, 8)
    gpus(1)
    on_gpu_path = clustering.kmeans(x, 8)
    assert asked == [False, True]
    np.testing.assert_array_equal(on_cpu, on_gpu_path)


# ---- FAISS: semantic dedup ----------------------------------------------------------------


def near_copies(n: int = 3_000, dim: int = 24, seed: int = 4) -> np.ndarray:
    """Random directions, a fifth of them with 1-3 near copies, and one block of 150 copies."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for i in range(0, n // 5, 4):
        for j in range(1, int(rng.integers(2, 5))):
            x[i + j] = x[i] + 0.05 * rng.standard_normal(dim).astype(np.float32)
    x[n - 150:] = x[n - 151] + 0.01 * rng.standard_normal((150, dim)).astype(np.float32)
    return semantic.unit_rows(x)


def pair_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, pairs.tolist()))


@pytest.mark.parametrize("first_k, max_k", [(32, 1024), (4, 16), (2, 2)])
def test_search_pairs_equal_the_product_pairs(first_k, max_k):
    x = near_copies()
    threshold = 0.97
    expected = pair_set(semantic.close_pairs(x, threshold))
    assert len(expected) > 150 * 149 // 2  # the block of copies is in it
    got = semantic.search_pairs(x, threshold, faiss.IndexFlatIP, first_k=first_k, max_k=max_k)
    assert (got[:, 0] < got[:, 1]).all()
    np.testing.assert_array_equal(groups_from_pairs(len(x), [got]),
                                  groups_from_pairs(len(x), [semantic.close_pairs(x, threshold)]))
    if len(got) <= 4 * len(x):  # else compressed to star edges: same components, fewer pairs
        assert pair_set(got) == expected


def test_search_pairs_of_a_cluster_full_of_copies_keep_few_edges():
    x = near_copies(1_000)
    x[:400] = x[0]  # 79,800 close pairs among 1,000 rows: compressed to what connects them
    got = semantic.search_pairs(x, 0.97, faiss.IndexFlatIP)
    assert len(got) <= 4 * len(x) + 1_024
    np.testing.assert_array_equal(groups_from_pairs(len(x), [got]),
                                  groups_from_pairs(len(x), [semantic.close_pairs(x, 0.97)]))


def test_semantic_groups_through_the_search_path_equal_the_product_path(gpus, monkeypatch):
    x = near_copies(4_000)
    expected = semantic.semantic_groups(x, eps=0.03, clusters=6)
    got = semantic.semantic_groups(x, eps=0.03, clusters=6, flat=faiss.IndexFlatIP)
    np.testing.assert_array_equal(got, expected)
    assert (expected >= 0).sum() > 500
    # With a GPU, the search path is taken with devices.flat_ip as the factory.
    made = []
    monkeypatch.setattr(devices, "flat_ip", lambda dim: made.append(dim) or faiss.IndexFlatIP(dim))
    gpus(1)
    np.testing.assert_array_equal(semantic.semantic_groups(x, eps=0.03, clusters=6), expected)
    assert made == [24] * 6


# ---- cuML UMAP ----------------------------------------------------------------------------


@pytest.fixture
def fake_cuml(monkeypatch):
    """A `cuml.manifold` whose UMAP is umap-learn behind cuML's constructor (the arguments
    Loupe passes are recorded); cuML itself needs a GPU."""
    import umap

    made = []

    class UMAP:
        def __init__(self, *, n_neighbors=15, min_dist=0.1, random_state=None, output_type=None,
                     build_algo="auto"):
            made.append({"n_neighbors": n_neighbors, "output_type": output_type, "build_algo": build_algo})
            self.inner = umap.UMAP(n_neighbors=n_neighbors, min_dist=min_dist, random_state=random_state,
                                   init="random", n_epochs=20)

        def fit_transform(self, x):
            return self.inner.fit_transform(x).astype(np.float64)  # not float32: Loupe converts

        def transform(self, x):
            return self.inner.transform(x)

    module = types.ModuleType("cuml.manifold")
    module.UMAP = UMAP
    monkeypatch.setitem(sys.modules, "cuml", types.ModuleType("cuml"))
    monkeypatch.setitem(sys.modules, "cuml.manifold", module)
    return made


def test_cuml_umap_only_with_a_gpu(fake_cuml, gpus, monkeypatch):
    gpus(0)
    assert projection._cuml_umap() is None
    gpus(1)
    monkeypatch.setenv(devices.ENV, "cpu")
    assert projection._cuml_umap() is None
    monkeypatch.delenv(devices.ENV)
    make = projection._cuml_umap()
    make(1_000, n_neighbors=15)
    make(projection.NN_DESCENT_FROM, n_neighbors=15)
    assert fake_cuml == [{"n_neighbors": 15, "output_type": "numpy", "build_algo": "brute_force_knn"},
                         {"n_neighbors": 15, "output_type": "numpy", "build_algo": "nn_descent"}]

    class Older:  # a cuML before 24.06: no build_algo, still a UMAP
        def __init__(self, *, n_neighbors=15, output_type=None):
            self.made = (n_neighbors, output_type)

    monkeypatch.setattr(sys.modules["cuml.manifold"], "UMAP", Older)
    assert projection._cuml_umap()(projection.NN_DESCENT_FROM, n_neighbors=15).made == (15, "numpy")


def test_cuml_projection_shape_and_dtype_and_its_large_n_path(fake_cuml, gpus, monkeypatch):
    gpus(1)
    x = unit(600, 16, seed=5, centres=3)
    monkeypatch.setattr(projection, "GPU_FIT_MAX_ROWS", 400)  # fit 400, place 200 from their neighbours
    monkeypatch.setattr(projection, "PLACE_BATCH", 150)
    done = []
    out = projection.project(x, advance=done.append)
    assert out.shape == (600, 2) and out.dtype == np.float32 and np.isfinite(out).all()
    assert done == [400, 150, 50]
    assert (np.abs(out).sum(axis=1) > 0).sum() > 590  # every row placed, not left at zero
