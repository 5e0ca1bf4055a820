"""The labelling queue: which unlabelled document the curator sees next.

Random order gives an unbiased sample of the selection; "nearest" puts first the
documents most similar to ones already labelled, which finds more of a rare kind
(a spam template, a boilerplate page) once a few examples are labelled.

Once a classifier is trained, active learning orders the queue by its score:
`uncertain` gives the documents whose score is nearest 0.5 (for a logistic
regression that is the decision boundary, logit 0): labelling them moves the
boundary most. `likely_positive` gives the highest scores: the fastest way to find
more positives, and to catch the classifier's false positives early. Both read the
`score_<name>` column (one float column, cheap on a million rows) and skip every
document that has a current label under the classifier's label name.

Two orders from the active-learning literature answer the sampling bias of plain
uncertainty (a classifier of ten labels puts its boundary in the wrong place, and its
most uncertain documents are where that wrong boundary runs, often outliers):
`representative` needs no classifier: it clusters the candidates (k-means, k = the
labelled candidates + AHEAD) and offers the document nearest the centre of each
cluster that holds no labelled document yet, largest cluster first, so the
first labels cover the space instead of falling where a random draw puts them (the
cold start of Nguyen & Smeulders 2004, Zhu et al. 2008). `uncertain_typical` is
information density (Settles & Craven 2008): the uncertainty 1 - |2p - 1| times the
document's mean cosine similarity to the unlabelled candidates, which for unit-length
embeddings is its dot product with their mean vector, so it stays one pass.
`benchmarks/seeds.py --parts active` measures every order against random order (README,
"Active learning against random order"): on a rare class (6% of the manual pages) `uncertain`
needs 0.42 times random order's labels; on the two balanced tasks none needs half;
`uncertain_typical` needs 2.4-2.7 times as many, so the Label tab does not offer it (it
stays here, measured, for the benchmark and for notebooks).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import SettingError

ORDERS = ("random", "nearest", "representative")
MAX_QUERIES = 256  # the most recently labelled documents that steer "nearest"
CLUSTER_SAMPLE = 20_000  # unlabelled candidates "representative" clusters: k-means stays well under a second
AHEAD = 10  # "representative": clusters beyond the labelled ones, so a first 10 labels are 10 clusters' centres
MAX_CLUSTERS = 256  # at most; once the labels cover them all, "representative" is random order
CHUNK = 65_536  # vectors per block when a pass over all candidates needs them


def labelling_queue(
    workspace, candidates: Sequence[str], name: str, order: str = "random", seed: int = 0, limit: int = 200
) -> list[str]:
    """Up to `limit` ids of `candidates` that have no current `name` label, in `order`.

    `order`: "random" (seeded by `seed`), "nearest" (most like the documents already
    labelled under `name` first, then the random rest) or "representative" (the centre of
    each cluster of candidates without a label yet, largest first, then the random rest)."""
    if order not in ORDERS:
        raise SettingError(f"unknown queue order {order!r}; choose one of {', '.join(ORDERS)}")
    labelled = workspace.labels.current(name)["doc_id"].to_pylist()
    done = set(labelled)
    shuffled = _random_unlabelled(candidates, done, seed, limit)
    if order == "random" or not shuffled:
        return shuffled
    if order == "representative":
        return _representative(workspace.vector_index(), candidates, done, seed, limit, shuffled)
    if not labelled:
        return shuffled
    index = workspace.vector_index()
    steering = [index.positions[i] for i in labelled[-MAX_QUERIES:] if i in index.positions]
    allowed = np.array([index.positions[i] for i in dict.fromkeys(candidates)
                        if i not in done and i in index.positions], dtype=np.int64)
    if not steering or not len(allowed):
        return shuffled
    queries = np.vstack([index.index.reconstruct(int(p)) for p in steering]).astype(np.float32)
    scores, positions = index.search(queries, min(limit, len(allowed)), allowed)
    best: dict[int, float] = {}
    for p, s in zip(positions.ravel(), scores.ravel()):
        if p >= 0 and s > best.get(int(p), -np.inf):
            best[int(p)] = float(s)
    nearest = [index.ids[p] for p in sorted(best, key=best.get, reverse=True)]
    chosen = set(nearest)
    return (nearest + [i for i in shuffled if i not in chosen])[:limit]


def _representative(index, candidates: Sequence[str], done: set[str], seed: int, limit: int,
                    shuffled: list[str]) -> list[str]:
    """The medoid of each k-means cluster of the candidates that holds no labelled one,
    largest cluster first, then `shuffled` (the random rest)."""
    from indexing.vectors.clustering import kmeans

    unique = [i for i in dict.fromkeys(candidates) if i in index.positions]
    labelled = [i for i in unique if i in done][-CLUSTER_SAMPLE:]
    open_ = [i for i in unique if i not in done]
    if len(open_) > CLUSTER_SAMPLE:
        keep = np.sort(np.random.default_rng(seed).choice(len(open_), CLUSTER_SAMPLE, replace=False))
        open_ = [open_[int(i)] for i in keep]
    members = labelled + open_
    k = min(len(labelled) + AHEAD, MAX_CLUSTERS, len(members))  # never `limit`: the app's queue is longer
    if not open_:
        return shuffled
    vectors = index.index.reconstruct_batch(np.array([index.positions[i] for i in members], dtype=np.int64))
    assignment = kmeans(vectors, k, seed=seed)
    covered = set(assignment[:len(labelled)].tolist())
    sizes = np.bincount(assignment, minlength=k)
    medoids = []
    for cluster in sorted(range(k), key=lambda c: (-sizes[c], c)):
        if cluster in covered or not sizes[cluster]:
            continue
        rows = np.flatnonzero(assignment == cluster)
        centre = vectors[rows].mean(axis=0)
        medoids.append(members[int(rows[np.argmax(vectors[rows] @ centre)])])
    chosen = set(medoids)
    return (medoids + [i for i in shuffled if i not in chosen])[:limit]


def _random_unlabelled(candidates: Sequence[str], done: set[str], seed: int, limit: int) -> list[str]:
    """`limit` unlabelled candidates in a seeded random order, without walking all of
    a million candidates when the first few hundred suffice."""
    found: dict[str, None] = {}
    if limit <= 0:
        return []
    for i in np.random.default_rng(seed).permutation(len(candidates)):
        doc_id = candidates[int(i)]
        if doc_id not in done:
            found[doc_id] = None
            if len(found) == limit:
                break
    return list(found)


# ---- active learning: a classifier's queue -----------------------------------------


def unlabelled_scores(workspace, name: str, candidates: Sequence[str] | None = None) -> tuple[pa.Array, np.ndarray]:
    """Ids (docs order) and scores of the documents without a current label under the
    classifier's label, among `candidates` when given."""
    # Deferred: the classifiers package re-exports `uncertain` and `likely_positive` from here.
    from indexing.curate.classifiers import storage
    from indexing.errors import ClassifierError
    from indexing.curate.classifiers.training import column_trained_at

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


def uncertain_typical(workspace, name: str, candidates: Sequence[str] | None = None, limit: int = 50) -> list[str]:
    """Up to `limit` unlabelled documents by uncertainty (1 - |2 score - 1|) times their mean
    cosine similarity to the unlabelled candidates (information density), highest first:
    uncertain documents like many others before uncertain outliers."""
    ids, scores = unlabelled_scores(workspace, name, candidates)
    return _first(ids, -(1.0 - np.abs(2.0 * scores - 1.0)) * _typicality(workspace.vector_index(), ids), limit)


def _typicality(index, ids: pa.Array) -> np.ndarray:
    """Each document's mean cosine similarity to all of `ids` (its dot product with their mean
    unit vector), clipped at 0; 0 for a document the FAISS index does not hold yet."""
    found = np.array([index.positions.get(i, -1) for i in ids.to_pylist()], dtype=np.int64)
    held = np.flatnonzero(found >= 0)
    typical = np.zeros(len(found))
    if not len(held):
        return typical
    total = np.zeros(index.index.d)
    for start in range(0, len(held), CHUNK):
        total += index.index.reconstruct_batch(found[held[start:start + CHUNK]]).sum(axis=0, dtype=np.float64)
    mean = total / len(held)
    for start in range(0, len(held), CHUNK):
        rows = held[start:start + CHUNK]
        typical[rows] = index.index.reconstruct_batch(found[rows]).astype(np.float64) @ mean
    return np.clip(typical, 0.0, None)
