"""The 2D map: UMAP of the vectors into `x`, `y`.

Up to FIT_MAX_ROWS the whole corpus is fitted; above it UMAP is fitted on a
random sample and the rest is placed with `transform`, which keeps memory and
time bounded on large corpora. cuML replaces umap-learn on a GPU when installed.
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

FIT_MAX_ROWS = 100_000
TRANSFORM_BATCH = 50_000


def _cuml_umap():
    try:
        import cuml  # noqa: F401
        from cuml.manifold import UMAP

        from indexing.vectors.vector_index import gpu_count

        return UMAP if gpu_count() else None
    except Exception:  # noqa: BLE001 - any import problem means "not available"
        return None


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
    if gpu_umap is not None:
        model = gpu_umap(n_neighbors=neighbours, min_dist=0.1, random_state=seed)
    else:
        import umap

        from indexing.vectors import numba_cache

        numba_cache.enable()
        model = umap.UMAP(n_neighbors=neighbours, min_dist=0.1, random_state=seed,
                          init="spectral" if n > 50 else "random")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_jobs/seed and spectral-init chatter
        if n <= FIT_MAX_ROWS:
            coords = model.fit_transform(vectors)
            advance(n)
            return np.asarray(coords, dtype=np.float32)
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, FIT_MAX_ROWS, replace=False))
        coords = np.zeros((n, 2), dtype=np.float32)
        coords[sample] = model.fit_transform(vectors[sample])
        advance(FIT_MAX_ROWS)
        rest = np.setdiff1d(np.arange(n), sample)
        for start in range(0, len(rest), TRANSFORM_BATCH):
            part = rest[start : start + TRANSFORM_BATCH]
            coords[part] = model.transform(vectors[part])
            advance(len(part))
        return coords
