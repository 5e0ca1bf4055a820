"""Classifiers grown from hand-labelled seeds (the public API is `indexing.classify`).

- model.py       Metrics, Classifier (a linear model; `score` = matmul + sigmoid)
- training.py    train on the embeddings, cross-validate, write `score_<name>`; rescore
- storage.py     WS/classifiers/<name>/: coef.npy + meta.json, swapped in atomically
- thresholds.py  a score threshold from "keep the top N%"
- queues.py      active learning: most uncertain, most likely positive
- fasttext.py    the labels as a fastText training file
"""

from .fasttext import export_fasttext
from .model import Classifier, ClassifierError, Metrics
from .queues import likely_positive, uncertain
from .storage import list_classifiers as _list_saved
from .storage import load as _load_saved
from .thresholds import percentile_threshold
from .training import rescore, train

__all__ = ["Classifier", "ClassifierError", "Metrics", "train", "rescore", "load", "list_classifiers",
           "percentile_threshold", "uncertain", "likely_positive", "export_fasttext"]


def load(workspace, name: str) -> Classifier:
    """The classifier `name` saved in `workspace` (WS/classifiers/<name>/)."""
    return _load_saved(workspace.root, name)


def list_classifiers(workspace) -> list[str]:
    """Names of the classifiers saved in `workspace`, sorted."""
    return _list_saved(workspace.root)
