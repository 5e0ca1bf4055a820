"""The 2D map: UMAP of the vectors into `x`, `y`.

Up to FIT_MAX_ROWS the whole corpus is fitted. Above it UMAP is fitted on a seeded
random sample of FIT_SAMPLE rows (`fit_sample`) and every other row is placed from its
nearest fitted neighbours by `indexing.vectors.placement.MapPlacer` (FAISS kNN, the
temperature-weighted mean of their places: how new rows land on an existing map), in
PLACE_BATCH rows at a time so memory stays bounded. UMAP's own `transform` did this
before, running its optimisation epochs on every batch of 50,000, 18 of them at 1M.

FIT_SAMPLE is 50,000, chosen by time: placing costs more per row the more rows were fitted
(IVF lists of sqrt(fitted) rows, 16 searched): 2,465 rows per CPU-second on 50,000 fitted
against 1,112 on 100,000 (clustered 384-d vectors, this machine), so 950,000 placed rows take
~6.4 CPU-minutes against ~14, and UMAP fits 50,000 rows in about half the ~90 s of 100,000 (benchmarks/index.py):
about 4 minutes for 1M on two free cores against about 8, which leaves room under the
10-minute bar when the machine is shared. A placed point sits among its own topic nearly as often as a fitted one
(benchmarks/placement.py: 0.592 against 0.610). benchmarks/scale.py's `maptopics` stage
compares the map with one fitted on 100,000 rows at 1M (time and topic agreement).
cuML replaces umap-learn on a GPU when installed; it fits up to GPU_FIT_MAX_ROWS whole (a
million points in well under a minute) and returns numpy; above that it too is fitted on a
sample (GPU_FIT_MAX_ROWS rows) and the rest placed.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

FIT_MAX_ROWS = 100_000  # up to this many rows the whole corpus is fitted
FIT_SAMPLE = 50_000  # above it, the rows UMAP is fitted on; the rest are placed (see above)
PLACE_BATCH = 50_000  # rows placed at a time (a copy of this many vectors at most)
GPU_FIT_MAX_ROWS = 2_000_000  # cuML: fitted whole up to this many rows, and on this many above
NN_DESCENT_FROM = 50_000  # cuML: exact kNN graph below, approximate (nn_descent) above


def fit_sample(n: int, size: int, seed: int | None) -> np.ndarray:
    """The sorted positions (of `n`) that UMAP is fitted on: `size` of them, seeded."""
    return np.sort(np.random.default_rng(seed).choice(n, min(size, n), replace=False))


def _cuml_umap():
    """cuML's UMAP class when it is installed and the device choice is the GPU, else None."""
    from indexing.vectors import devices

    if not devices.use_gpu():
        return None
    try:
        from cuml.manifold import UMAP
    except Exception:  # noqa: BLE001 - any import problem means "not available"
        return None

    def make(n: int, **params):
        algo = "nn_descent" if n >= NN_DESCENT_FROM else "brute_force_knn"
        try:
            return UMAP(output_type="numpy", build_algo=algo, **params)
        except TypeError:  # cuML before 24.06 has no build_algo (and always builds exactly)
            return UMAP(output_type="numpy", **params)

    return make


def project(
    vectors: np.ndarray,
    seed: int | None = 42,
    advance: Callable[[int], None] = lambda n: None,
) -> np.ndarray:
    """(n, 2) float32 coordinates, one row per vector."""
    n = len(vectors)
    if n < 4:
        # Too few points for a neighbour graph; spread them on a line.
        out = np.zeros((n, 2), dtype=np.float32)
        out[:, 0] = np.arange(n, dtype=np.float32)
        advance(n)
        return out
    neighbours = min(15, n - 1)
    gpu_umap = _cuml_umap()
    fit_max = FIT_MAX_ROWS if gpu_umap is None else GPU_FIT_MAX_ROWS
    if gpu_umap is not None:
        model = gpu_umap(min(n, fit_max), n_neighbors=neighbours, min_dist=0.1, random_state=seed)
    else:
        import umap

        from indexing.vectors import numba_cache

        numba_cache.enable()
        model = umap.UMAP(n_neighbors=neighbours, min_dist=0.1, random_state=seed,
                          init="spectral" if n > 50 else "random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs/seed and spectral-init chatter
        if n <= fit_max:
            coords = model.fit_transform(vectors)
            advance(n)
            return np.asarray(coords, dtype=np.float32)
        sample = fit_sample(n, FIT_SAMPLE if gpu_umap is None else fit_max, seed)
        coords = np.zeros((n, 2), dtype=np.float32)
        coords[sample] = model.fit_transform(vectors[sample])
    advance(len(sample))
    place_rest(vectors, coords, sample, advance)
    return coords


def place_rest(vectors: np.ndarray, coords: np.ndarray, sample: np.ndarray,
               advance: Callable[[int], None] = lambda n: None) -> None:
    """Fill `coords` of every row not in `sample` from the fitted rows' places (MapPlacer;
    the map has no clusters yet, so one stands in and its answer is unused)."""
    from indexing.vectors.placement import MapPlacer

    placer = MapPlacer.from_arrays(vectors[sample], coords[sample], np.zeros(len(sample), np.int32))
    fitted = np.zeros(len(vectors), dtype=bool)
    fitted[sample] = True
    rest = np.flatnonzero(~fitted)
    for start in range(0, len(rest), PLACE_BATCH):
        part = rest[start : start + PLACE_BATCH]
        placed = placer.place(vectors[part])
        coords[part, 0], coords[part, 1] = placed.x, placed.y
        advance(len(part))
