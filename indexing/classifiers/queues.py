"""Active learning: which unlabelled documents a classifier most wants labelled next.

`uncertain` gives the documents whose score is nearest 0.5 (for a logistic
regression that is the decision boundary, logit 0): labelling them moves the
boundary most. `likely_positive` gives the highest scores: the fastest way to find
more positives, and to catch the classifier's false positives early. Both read the
`score_<name>` column (one float column, cheap on a million rows) and skip every
document that has a current label under the classifier's label name.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import storage
from .model import ClassifierError
from .training import column_trained_at


def unlabelled_scores(workspace, name: str, candidates: Sequence[str] | None = None) -> tuple[pa.Array, np.ndarray]:
    """Ids (docs order) and scores of the documents without a current label under the
    classifier's label, among `candidates` when given."""
    classifier = storage.load(workspace.root, name)
    column = classifier.column
    written = column_trained_at(workspace, column)
    if written != classifier.trained_at:
        state = "is missing" if written is None else f"holds the scores of the version trained at {written}"
        raise ClassifierError(f"column {column!r} {state}, not of classifier {name!r} trained at "
                              f"{classifier.trained_at}; write it again with rescore(ws, {name!r}) or `loupe train`")
    table = workspace.store.read_docs(columns=["id", column])
    labelled = workspace.labels.current(classifier.label)["doc_id"].combine_chunks()
    keep = pc.invert(pc.is_in(table["id"], value_set=labelled))
    if candidates is not None:
        keep = pc.and_(keep, pc.is_in(table["id"], value_set=pa.array(list(candidates), pa.string())))
    table = table.filter(keep)
    missing = table[column].null_count
    if missing:
        raise ClassifierError(f"{missing:,} unlabelled documents have no {column} (added after {name!r} was "
                              f"trained?); score them with rescore(ws, {name!r}) or `loupe train`")
    return table["id"].combine_chunks(), table[column].to_numpy().astype(np.float64)


def _first(ids: pa.Array, key: np.ndarray, limit: int) -> list[str]:
    if limit <= 0:
        return []
    order = np.argsort(key, kind="stable")[:limit]  # ties keep docs order
    return ids.take(pa.array(order)).to_pylist()


def uncertain(workspace, name: str, candidates: Sequence[str] | None = None, limit: int = 50) -> list[str]:
    """Up to `limit` unlabelled documents with the score nearest 0.5, most uncertain first."""
    ids, scores = unlabelled_scores(workspace, name, candidates)
    return _first(ids, np.abs(scores - 0.5), limit)


def likely_positive(workspace, name: str, candidates: Sequence[str] | None = None, limit: int = 50) -> list[str]:
    """Up to `limit` unlabelled documents with the highest scores, highest first."""
    ids, scores = unlabelled_scores(workspace, name, candidates)
    return _first(ids, -scores, limit)
