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


def test_three_blobs_stay_apart():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 32))
    labels = np.repeat(np.arange(3), 100)
    x = centres[labels] + 0.05 * rng.normal(size=(300, 32))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

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
