"""What a trained classifier is: a linear model over the workspace's embeddings.

A classifier is only `coef` (one weight per embedding dimension) and `intercept`, so
scoring a million documents is one float32 matmul and a sigmoid per batch, and
saving it needs nothing but an array and some JSON (never a pickle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexing.errors import ClassifierError
from indexing.workspace.owned_columns import SOURCE_SUFFIX, is_owned

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
COLUMN_PREFIX = "score_"
SCORE_BATCH = 65_536  # rows per matmul: bounds the float32 temporaries while scoring


def check_name(name: str) -> str:
    """A classifier name becomes a folder and the column `score_<name>`: an identifier."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ClassifierError(
            f"classifier name {name!r} is not an identifier (letters, digits and _, not starting with a digit)"
        )
    if not is_owned(COLUMN_PREFIX + name):
        raise ClassifierError(f"classifier name {name!r} ends in '{SOURCE_SUFFIX}', which marks a source field's "
                              "column; choose another name")
    return name


def column_name(name: str) -> str:
    return COLUMN_PREFIX + check_name(name)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow warnings, in z's dtype."""
    return np.exp(-np.logaddexp(np.zeros((), z.dtype), -z))


@dataclass(frozen=True)
class Metrics:
    """Cross-validated quality of a classifier (stratified k-fold, k = min(5, smallest
    class count); every figure None when a class has fewer than 2 seeds). Precision
    and recall are at probability 0.5; with "unlabelled" negatives they measure
    positives against a sample of the corpus, which holds unknown positives too."""

    positives: int
    negatives: int
    folds: int | None
    precision: float | None
    recall: float | None
    roc_auc: float | None

    def as_dict(self) -> dict:
        return {"positives": self.positives, "negatives": self.negatives, "folds": self.folds,
                "precision": self.precision, "recall": self.recall, "roc_auc": self.roc_auc}


@dataclass(frozen=True)
class Classifier:
    """A logistic-regression classifier on the embeddings of `model`, trained from the
    current `label` values: `positive` against `negative` (None: against a sample of
    the documents without a `label` label, DCLM-style). Scores go to `column`."""

    name: str
    label: str
    positive: str
    negative: str | None
    model: str
    dimension: int
    coef: np.ndarray = field(compare=False, repr=False)
    intercept: float
    metrics: Metrics
    labels_snapshot: dict = field(repr=False)
    trained_at: str
    column: str
    params: dict = field(default_factory=dict)  # C, class_weight, seed, unlabelled_negatives, ...
    stats: dict = field(default_factory=dict, compare=False)  # this run only: docs_scored, seconds per step

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """The probability of the positive class for each row of `vectors`, float32."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ClassifierError(
                f"classifier {self.name!r} scores {self.dimension}-d vectors of {self.model}; got shape {vectors.shape}"
            )
        weights = self.coef.astype(np.float32)
        bias = np.float32(self.intercept)
        out = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), SCORE_BATCH):
            batch = np.asarray(vectors[start:start + SCORE_BATCH], dtype=np.float32)
            out[start:start + len(batch)] = sigmoid(batch @ weights + bias)
        return out
