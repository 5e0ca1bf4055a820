"""Thresholds on a score column set as a share of the corpus ("keep the top 10%")."""

from __future__ import annotations

import math

import numpy as np


def percentile_threshold(scores: np.ndarray, keep_top: float) -> float:
    """The score `t` such that `score >= t` keeps the top `keep_top` share of `scores`:
    ceil(keep_top * n) documents (at least one), more only when scores tie at `t`.
    NaN (a document without a score) is never kept and does not count in n.

    keep_top=0.10 over the scores 0, 1, ..., 99 gives 90 (ten scores are >= 90)."""
    if not isinstance(keep_top, (int, float)) or not 0 < keep_top <= 1:
        raise ValueError(f"keep_top must be a share in (0, 1], e.g. 0.1 for the top 10%, not {keep_top!r}")
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if len(values) == 0:
        raise ValueError("no scores to take a percentile of")
    keep = min(len(values), max(1, math.ceil(keep_top * len(values) - 1e-9)))
    return float(np.partition(values, len(values) - keep)[len(values) - keep])
