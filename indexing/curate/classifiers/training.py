"""Training a classifier from hand-labelled seeds, and writing its score column.

    clf = train(ws, "quality", positive="good", negative="bad")   # or negative=None (DCLM-style)
    clf.metrics.roc_auc, ws.docs(columns=["id", "score_quality"])

The model is scikit-learn's LogisticRegression (lbfgs) on the stored embeddings, with
`class_weight="balanced"`: seeds are few and rarely balanced (12 good against 80 bad,
or 20 good against a 10,000-document sample of the corpus), and unweighted the
majority class pulls every probability its way, so 0.5 stops being the boundary that
precision, recall and the "most uncertain" queue rely on. Balancing weighs each class
as a whole equally; it leaves the ranking (ROC AUC) alone. `C=1` is scikit-learn's
default and suits unit-length sentence embeddings with tens to thousands of seeds.

Metrics come from `cross_val_predict` over a stratified k-fold (k = min(5, the
smaller class)), so every seed is scored by a model that did not see it. Then the
model is refitted on all seeds and scores EVERY document: a float32 matmul and a
sigmoid in batches. The column `score_<name>` is written through
`Store.replace_columns` and carries field metadata naming the classifier and its
`trained_at`, so Loupe knows its own columns (a source field of that name is never
overwritten) and the queues can tell a column that lags its classifier.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import ClassifierError, NotIndexedError
from indexing.vectors import stored
from indexing.workspace.lock import writer_lock
from indexing.progress import Quiet, Reporter
from indexing.curate.classifiers import storage
from indexing.curate.classifiers.model import Classifier, Metrics, check_name, column_name

CLASS_WEIGHT = "balanced"
MAX_ITER = 1000
MAX_FOLDS = 5
THRESHOLD = 0.5  # the probability at which precision and recall are counted
META_CLASSIFIER = b"loupe.classifier"
META_TRAINED_AT = b"loupe.trained_at"


def read_vectors(workspace) -> tuple[pa.Array, np.ndarray]:
    """Every document's id and its embedding as an (n, dim) float32 matrix, docs order."""
    ids, vectors = stored.read_vectors(workspace.store)
    if len(ids) == 0:
        raise NotIndexedError(workspace.root)
    return ids, vectors


def check_column(workspace, name: str) -> str:
    """`score_<name>`, after making sure it is not a docs column that Loupe did not write."""
    column = column_name(name)
    schema = workspace.store.docs_schema()
    if schema is not None and column in schema.names:
        owner = (schema.field(column).metadata or {}).get(META_CLASSIFIER)
        if owner != name.encode():
            raise ClassifierError(
                f"docs already has a column {column!r} that no Loupe classifier named {name!r} wrote "
                f"(a source field?); choose another classifier name"
            )
    return column


def column_trained_at(workspace, column: str) -> str | None:
    """The `trained_at` of the classifier that wrote `column`, None when it is absent."""
    schema = workspace.store.docs_schema()
    if schema is None or column not in schema.names:
        return None
    value = (schema.field(column).metadata or {}).get(META_TRAINED_AT)
    return value.decode() if value else None


def _positions(ids: pa.Array, wanted: pa.Array) -> np.ndarray:
    """Row positions of `wanted` ids in `ids` (ids not stored are left out)."""
    found = pc.index_in(wanted, value_set=ids)
    return np.sort(found.drop_null().to_numpy().astype(np.int64))


def current_seeds(workspace, label: str, positive: str, negative: str | None) -> pa.Table:
    """The current `label` labels (doc_id, value); ClassifierError when a class has none."""
    current = workspace.labels.current(label).select(["doc_id", "value"])
    counts = workspace.labels.counts().get(label, {})
    for value, hint in ((positive, "label some positives first"),
                        (negative, "label some negatives, or train against unlabelled documents")):
        if value is not None and value not in counts:
            raise ClassifierError(f"no document is labelled {label}={value!r} "
                                  f"(current {label} labels: {counts or 'none'}); {hint}")
    return current


def _stored(ids: pa.Array, labelled: pa.Array, value: str) -> tuple[np.ndarray, pa.Array]:
    """Row positions and ids of the labelled documents that are in docs."""
    found = pc.index_in(labelled, value_set=ids)
    kept = labelled.filter(pc.is_valid(found))
    if len(kept) == 0:
        raise ClassifierError(f"none of the {len(labelled):,} documents labelled {value!r} is in docs")
    return np.sort(found.drop_null().to_numpy().astype(np.int64)), kept


def _seeds(current, ids, positive, negative, unlabelled_negatives, seed):
    """Row positions of the positive and negative seeds, and the ids that name them."""
    values = current["value"]
    positive_rows, pos_ids = _stored(ids, current["doc_id"].filter(pc.equal(values, positive)).combine_chunks(),
                                     positive)
    snapshot = {"docs": len(ids), "positive_ids": pos_ids.to_pylist()}
    if negative is not None:
        negative_rows, neg_ids = _stored(
            ids, current["doc_id"].filter(pc.equal(values, negative)).combine_chunks(), negative)
        snapshot.update(negative_ids=neg_ids.to_pylist(), unlabelled_negatives=0)
    else:
        unlabelled = np.ones(len(ids), dtype=bool)
        unlabelled[_positions(ids, current["doc_id"].combine_chunks())] = False
        pool = np.flatnonzero(unlabelled)
        if len(pool) == 0:
            raise ClassifierError("every document is labelled: no unlabelled documents to use as negatives")
        take = min(unlabelled_negatives, len(pool))
        negative_rows = np.sort(np.random.default_rng(seed).choice(pool, take, replace=False))
        snapshot.update(negative_ids=[], unlabelled_negatives=int(take), unlabelled_pool=int(len(pool)))
    return positive_rows, negative_rows, snapshot


def _estimator(C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight=CLASS_WEIGHT, solver="lbfgs", max_iter=MAX_ITER)


def cross_validate(X: np.ndarray, y: np.ndarray, C: float, seed: int) -> Metrics:
    """Out-of-fold precision, recall (at 0.5) and ROC AUC; None when a class has < 2 seeds."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    smallest = min(positives, negatives)
    if smallest < 2:
        return Metrics(positives, negatives, None, None, None, None)
    from sklearn.metrics import precision_score, recall_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = min(MAX_FOLDS, smallest)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(_estimator(C), X, y, cv=cv, method="predict_proba")[:, 1]
    predicted = proba >= THRESHOLD
    return Metrics(
        positives, negatives, folds,
        precision=float(precision_score(y, predicted, zero_division=0.0)),
        recall=float(recall_score(y, predicted, zero_division=0.0)),
        roc_auc=float(roc_auc_score(y, proba)),
    )


def write_scores(workspace, classifier: Classifier, ids: pa.Array, scores: np.ndarray) -> None:
    """Replace `classifier.column` for every document (one Lance merge), marked as Loupe's."""
    field = pa.field(classifier.column, pa.float32(), metadata={
        META_CLASSIFIER: classifier.name.encode(), META_TRAINED_AT: classifier.trained_at.encode()})
    values = pa.Table.from_arrays([ids, pa.array(scores, pa.float32())],
                                  schema=pa.schema([pa.field("id", pa.string()), field]))
    workspace.store.replace_columns(values)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def train(
    workspace, label: str, positive: str = "good", negative: str | None = "bad", name: str | None = None,
    *, C: float = 1.0, unlabelled_negatives: int = 10_000, seed: int = 0, progress: Reporter | None = None,
) -> Classifier:
    """Train classifier `name` (default: `label`) on the current `label` labels, `positive`
    against `negative` (None: against up to `unlabelled_negatives` documents without a
    `label` label, drawn with `seed`), cross-validate it, save it to WS/classifiers/<name>/
    and write `score_<name>` for every document. Returns the classifier with its metrics."""
    progress = progress or Quiet()
    name = check_name(label if name is None else name)
    if not isinstance(positive, str) or not positive:
        raise ClassifierError(f"the positive value must be a non-empty string, not {positive!r}")
    if negative is not None and (not isinstance(negative, str) or not negative):
        raise ClassifierError(f"the negative value must be a non-empty string or None, not {negative!r}")
    if negative == positive:
        raise ClassifierError(f"positive and negative are both {positive!r}; they must differ")
    if not C > 0:
        raise ClassifierError(f"C must be positive, not {C!r}")
    if unlabelled_negatives < 1:
        raise ClassifierError(f"unlabelled_negatives must be at least 1, not {unlabelled_negatives!r}")
    column = check_column(workspace, name)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    labels_version, docs_version = workspace.labels.version(), workspace.store.version()
    current = current_seeds(workspace, label, positive, negative)
    with progress.stage("vectors", 1, unit="reads") as advance:
        ids, vectors = read_vectors(workspace)
        advance(1)
    positive_rows, negative_rows, snapshot = _seeds(current, ids, positive, negative, unlabelled_negatives, seed)
    snapshot = {"label": label, "labels_version": labels_version, "docs_version": docs_version, **snapshot}
    seconds["read"] = time.perf_counter() - started

    started = time.perf_counter()
    X = vectors[np.concatenate([positive_rows, negative_rows])].astype(np.float64)
    y = np.concatenate([np.ones(len(positive_rows), np.int8), np.zeros(len(negative_rows), np.int8)])
    from threadpoolctl import threadpool_limits

    # Each fit is small (seeds x dim): one BLAS thread beats several, whose hand-offs on
    # every L-BFGS step cost more than they save (8x slower with two threads, measured).
    with progress.stage("train", 2, unit="steps") as advance, threadpool_limits(limits=1, user_api="blas"):
        metrics = cross_validate(X, y, C, seed)
        advance(1)
        fitted = _estimator(C).fit(X, y)
        advance(1)
    seconds["train"] = time.perf_counter() - started

    import sklearn

    classifier = Classifier(
        name=name, label=label, positive=positive, negative=negative, model=workspace.state.model,
        dimension=int(vectors.shape[1]), coef=fitted.coef_[0].astype(np.float64),
        intercept=float(fitted.intercept_[0]), metrics=metrics, labels_snapshot=snapshot,
        trained_at=_now(), column=column,
        params={"algorithm": "logistic_regression", "solver": "lbfgs", "C": float(C),
                "class_weight": CLASS_WEIGHT, "max_iter": MAX_ITER, "threshold": THRESHOLD, "seed": seed,
                "unlabelled_negatives": unlabelled_negatives, "scikit_learn": sklearn.__version__},
    )
    _score_and_save(workspace, classifier, ids, vectors, progress, seconds)
    return classifier


def _score_and_save(workspace, classifier, ids, vectors, progress, seconds, save: bool = True) -> None:
    """Score every document, then (under the writer lock) save the classifier and its column."""
    started = time.perf_counter()
    with progress.stage("score", len(vectors)) as advance:
        scores = classifier.score(vectors)
        advance(len(vectors))
    seconds["score"] = time.perf_counter() - started
    with progress.stage("save", 2, unit="writes") as advance, writer_lock(workspace.root):
        started = time.perf_counter()
        check_column(workspace, classifier.name)  # again, now that nobody else writes
        if save:
            storage.save(workspace.root, classifier)
        advance(1)
        seconds["save"] = time.perf_counter() - started
        started = time.perf_counter()
        write_scores(workspace, classifier, ids, scores)
        advance(1)
        seconds["column"] = time.perf_counter() - started
    classifier.stats.update(docs_scored=len(ids), seconds={k: round(v, 3) for k, v in seconds.items()})


def rescore(workspace, name: str, progress: Reporter | None = None) -> Classifier:
    """Write `score_<name>` again from the saved classifier, e.g. after documents were added
    or a kill interrupted the column write; no retraining."""
    progress = progress or Quiet()
    classifier = storage.load(workspace.root, name)
    if classifier.model != workspace.state.model or classifier.dimension != workspace.state.dimension:
        raise ClassifierError(f"classifier {name!r} was trained on {classifier.model} ({classifier.dimension}-d); "
                              f"this workspace holds {workspace.state.model} ({workspace.state.dimension}-d); "
                              f"retrain it with `loupe train -w {workspace.root} --name {name}`, or delete the "
                              f"folder {storage.classifiers_dir(workspace.root) / name}")
    check_column(workspace, name)
    started = time.perf_counter()
    ids, vectors = read_vectors(workspace)
    _score_and_save(workspace, classifier, ids, vectors, progress,
                    {"read": time.perf_counter() - started}, save=False)
    return classifier
