"""The 2D map: UMAP of the vectors into `x`, `y`.

Up to FIT_MAX_ROWS the whole corpus is fitted; above it UMAP is fitted on a
random sample and the rest is placed with `transform`, which keeps memory and
time bounded on large corpora. cuML replaces umap-learn on a GPU when installed; it fits
up to GPU_FIT_MAX_ROWS whole (a million points in well under a minute) and returns numpy.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

FIT_MAX_ROWS = 100_000
GPU_FIT_MAX_ROWS = 2_000_000
TRANSFORM_BATCH = 50_000
NN_DESCENT_FROM = 50_000  # cuML: exact kNN graph below, approximate (nn_descent) above


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
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, fit_max, replace=False))
        coords = np.zeros((n, 2), dtype=np.float32)
        coords[sample] = model.fit_transform(vectors[sample])
        advance(fit_max)
        rest = np.setdiff1d(np.arange(n), sample)
        for start in range(0, len(rest), TRANSFORM_BATCH):
            part = rest[start : start + TRANSFORM_BATCH]
            coords[part] = model.transform(vectors[part])
            advance(len(part))
        return coords
