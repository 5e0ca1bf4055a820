"""Unit tests for indexing.vectors.projection: tiny inputs and one real UMAP fit on three blobs.

umap-learn compiles on its first call (several seconds), so this file fits UMAP exactly once.
"""

from __future__ import annotations

import numpy as np
import pytest

from indexing.vectors import projection
from indexing.vectors.projection import project


@pytest.fixture(autouse=True)
def no_cuml(monkeypatch):
    monkeypatch.setattr(projection, "_cuml_umap", lambda: None)


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, np.zeros((0, 2))),
        (1, [[0.0, 0.0]]),
        (3, [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]),
    ],
)
def test_tiny_inputs_on_a_line(n, expected):
    calls = []
    out = project(np.ones((n, 8), dtype=np.float32), advance=calls.append)
    assert out.shape == (n, 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.asarray(expected, dtype=np.float32).reshape(n, 2))
    assert calls == [n]


def _blobs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """300 unit vectors in three tight blobs of 100, and each one's blob."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 32))
    labels = np.repeat(np.arange(3), 100)
    x = centres[labels] + 0.05 * rng.normal(size=(300, 32))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


def test_three_blobs_stay_apart():
    x, labels = _blobs(0)

    calls = []
    out = project(x, seed=42, advance=calls.append)
    assert out.shape == (300, 2)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert calls == [300]

    distances = np.linalg.norm(out[:, None, :] - out[None, :, :], axis=2)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(300, dtype=bool)
    within = distances[same & off_diagonal].mean()
    between = distances[~same].mean()
    assert within < between / 3
    # every point's nearest neighbour on the map is from its own blob
    np.fill_diagonal(distances, np.inf)
    assert (labels[distances.argmin(axis=1)] == labels).all()


def test_above_fit_max_rows_a_sample_is_fitted_and_the_rest_placed(monkeypatch):
    """Large-n path at small n: the sampled rows get exactly what fitting them alone gives,
    every other row lands among its nearest fitted neighbours (MapPlacer), not transformed."""
    import umap

    monkeypatch.setattr(projection, "FIT_MAX_ROWS", 150)
    monkeypatch.setattr(projection, "FIT_SAMPLE", 120)
    monkeypatch.setattr(projection, "PLACE_BATCH", 25)  # several batches
    x, labels = _blobs(1)

    calls = []
    out = project(x, seed=7, advance=calls.append)
    assert out.shape == (300, 2) and out.dtype == np.float32 and np.isfinite(out).all()
    assert sum(calls) == 300

    sample = projection.fit_sample(300, 120, 7)
    assert len(sample) == 120
    alone = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=7, init="spectral").fit_transform(x[sample])
    np.testing.assert_allclose(out[sample], alone, rtol=1e-5, atol=1e-5)

    rest = np.setdiff1d(np.arange(300), sample)
    assert len(rest) == 180
    from indexing.vectors.placement import MapPlacer

    placed = MapPlacer.from_arrays(x[sample], alone, np.zeros(120, np.int32)).place(x[rest])
    np.testing.assert_allclose(out[rest], np.column_stack([placed.x, placed.y]), rtol=1e-5, atol=1e-5)
    sims = x[rest] @ x[sample].T
    nearest = sample[np.argsort(-sims, axis=1)[:, :10]]
    spread = np.linalg.norm(out[nearest] - out[nearest].mean(axis=1, keepdims=True), axis=2).max(axis=1)
    # each placed point lies within its ten nearest fitted neighbours' spread of their centre
    gap = np.linalg.norm(out[rest] - out[nearest].mean(axis=1), axis=1)
    assert (gap <= spread + 1e-4).all()
    # and on its own blob: its nearest fitted point on the map is of its label
    on_map = np.linalg.norm(out[rest][:, None, :] - out[sample][None, :, :], axis=2)
    assert (labels[sample][on_map.argmin(axis=1)] == labels[rest]).all()
