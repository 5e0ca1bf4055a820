"""Classifiers grown from hand-labelled seeds: the public API.

    from indexing.classify import train, load, list_classifiers, percentile_threshold
    clf = train(ws, "quality", positive="good", negative="bad")   # writes score_quality
    clf.metrics            # cross-validated precision, recall, ROC AUC, seeds per class
    t = percentile_threshold(ws.docs(columns=["score_quality"])["score_quality"].to_numpy(), 0.10)
    uncertain(ws, "quality", limit=20), likely_positive(ws, "quality", limit=20)
    export_fasttext(ws, "quality", "quality.txt")

The implementation lives in `indexing/classifiers/`, one module per job.
"""

from .classifiers import (  # noqa: F401
    Classifier,
    ClassifierError,
    Metrics,
    export_fasttext,
    likely_positive,
    list_classifiers,
    load,
    percentile_threshold,
    rescore,
    train,
    uncertain,
)

__all__ = ["Classifier", "ClassifierError", "Metrics", "train", "rescore", "load", "list_classifiers",
           "percentile_threshold", "uncertain", "likely_positive", "export_fasttext"]
