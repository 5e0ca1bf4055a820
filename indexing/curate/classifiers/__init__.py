"""Classifiers grown from hand-labelled seeds: the public API.

    from indexing.curate.classifiers import train, load, list_classifiers, percentile_threshold
    clf = train(ws, "quality", positive="good", negative="bad")   # writes score_quality
    clf.metrics            # cross-validated precision, recall, ROC AUC, seeds per class
    t = percentile_threshold(ws.docs(columns=["score_quality"])["score_quality"].to_numpy(), 0.10)
    uncertain(ws, "quality", limit=20), likely_positive(ws, "quality", limit=20)
    export_fasttext(ws, "quality", "quality.txt")

One module per job (the active-learning queues live with the labelling queue, the
percentile threshold with the other thresholds):

- model.py       Metrics, Classifier (a linear model; `score` = matmul + sigmoid)
- training.py    train on the embeddings, cross-validate, write `score_<name>`; rescore
- storage.py     WS/classifiers/<name>/: coef.npy + meta.json, swapped in atomically
- fasttext.py    the labels as a fastText training file
"""

from indexing.errors import ClassifierError
from indexing.curate.classifiers.fasttext import export_fasttext
from indexing.curate.classifiers.model import Classifier, Metrics
from indexing.curate.queue import likely_positive, uncertain  # active learning: one labelling queue
from indexing.curate.thresholds import percentile_threshold  # a threshold like any other: kept with them
from indexing.curate.classifiers.storage import list_classifiers as _list_saved
from indexing.curate.classifiers.storage import load as _load_saved
from indexing.curate.classifiers.training import rescore, train

__all__ = ["Classifier", "ClassifierError", "Metrics", "train", "rescore", "load", "list_classifiers",
           "percentile_threshold", "uncertain", "likely_positive", "export_fasttext"]


def load(workspace, name: str) -> Classifier:
    """The classifier `name` saved in `workspace` (WS/classifiers/<name>/)."""
    return _load_saved(workspace.root, name)


def list_classifiers(workspace) -> list[str]:
    """Names of the classifiers saved in `workspace`, sorted."""
    return _list_saved(workspace.root)
