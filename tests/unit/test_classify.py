"""Classifiers from hand-labelled seeds: training, metrics, thresholds, queues, storage, fastText."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from indexing.curate.classifiers import storage
from indexing.curate.classifiers import (
    ClassifierError,
    export_fasttext,
    likely_positive,
    list_classifiers,
    load,
    percentile_threshold,
    rescore,
    train,
    uncertain,
)
from tests.helpers import write_jsonl

ROOT = Path(__file__).parents[2]
ALPHA = [f"alpha{i}" for i in range(20)]
BETA = [f"beta{i}" for i in range(20)]
SEPARATORS = [" ", " ", "\n", "\t", "  ", "\r\n", " \u2028 "]


def _docs(n: int = 30, seed: int = 5) -> list[dict]:
    """Two topics with disjoint words (a*: alpha words, b*: beta words), joined by mixed
    whitespace (newlines, tabs) for the fastText flattening; and a float source field
    named like a score column."""
    rng = random.Random(seed)
    docs = []
    for prefix, words in (("a", ALPHA), ("b", BETA)):
        for i in range(n):
            picked = rng.sample(words, 6)
            text = picked[0] + "".join(rng.choice(SEPARATORS) + w for w in picked[1:])
            docs.append({"id": f"{prefix}{i:02d}", "text": text, "words_of": " ".join(picked),
                         "score_clash": rng.random()})
    return docs


DOCS = _docs()
IDS = [d["id"] for d in DOCS]
A_IDS = [i for i in IDS if i.startswith("a")]
B_IDS = [i for i in IDS if i.startswith("b")]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def _seed(ws, good=A_IDS[:6], bad=B_IDS[:6], name="quality"):
    if good:
        ws.labels.add(list(good), name, "good")
    if bad:
        ws.labels.add(list(bad), name, "bad")


def _column(ws, column: str) -> dict[str, float]:
    table = ws.docs(columns=["id", column])
    return dict(zip(table["id"].to_pylist(), table[column].to_pylist()))


def _auc(truth: list[bool], scores: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(truth, scores))


# ---- training and metrics ---------------------------------------------------------------


def test_separable_seeds_give_auc_near_one_and_a_score_for_every_document(ws):
    _seed(ws)
    clf = train(ws, "quality")
    m = clf.metrics
    assert (m.positives, m.negatives, m.folds) == (6, 6, 5)
    assert m.roc_auc > 0.99 and m.precision == 1.0 and m.recall == 1.0
    assert (clf.name, clf.label, clf.positive, clf.negative, clf.column) == ("quality", "quality", "good", "bad",
                                                                             "score_quality")
    assert clf.model == "hash:32" and clf.dimension == 32 and clf.coef.shape == (32,)
    scores = _column(ws, "score_quality")
    assert set(scores) == set(IDS) and all(0.0 < s < 1.0 for s in scores.values())
    assert str(ws.store.docs_schema().field("score_quality").type) == "float"
    held_out = [i for i in IDS if i not in A_IDS[:6] + B_IDS[:6]]
    assert _auc([i.startswith("a") for i in held_out], [scores[i] for i in held_out]) > 0.99
    assert clf.labels_snapshot["positive_ids"] == A_IDS[:6] and clf.labels_snapshot["negative_ids"] == B_IDS[:6]
    assert clf.labels_snapshot["labels_version"] == ws.labels.version()


def test_the_column_is_the_logistic_regression_of_the_seeds(ws):
    """score_<name> equals scikit-learn's own predict_proba for the same fit, and Classifier.score."""
    from sklearn.linear_model import LogisticRegression

    _seed(ws, A_IDS[:4], B_IDS[:9])
    clf = train(ws, "quality", C=0.5)
    table = ws.docs(columns=["id", "vector", "score_quality"])
    ids = table["id"].to_pylist()
    vectors = np.array(table["vector"].to_pylist(), dtype=np.float64)
    rows = [ids.index(i) for i in A_IDS[:4] + B_IDS[:9]]
    reference = LogisticRegression(C=0.5, class_weight="balanced", max_iter=1000).fit(
        vectors[rows], [1] * 4 + [0] * 9)
    expected = reference.predict_proba(vectors)[:, 1]
    stored = table["score_quality"].to_numpy()
    assert np.abs(stored - expected).max() < 1e-4
    assert np.abs(clf.score(vectors.astype(np.float32)) - stored).max() < 1e-6
    assert clf.metrics.folds == 4  # min(5, smallest class)


def test_metrics_are_none_below_two_seeds_of_a_class_but_the_classifier_still_scores(ws):
    _seed(ws, A_IDS[:1], B_IDS[:1])
    clf = train(ws, "quality")
    m = clf.metrics
    assert (m.positives, m.negatives) == (1, 1)
    assert m.folds is None and m.precision is None and m.recall is None and m.roc_auc is None
    scores = _column(ws, "score_quality")
    assert len(scores) == len(IDS) and scores[A_IDS[0]] > scores[B_IDS[0]]
    ws.labels.add(B_IDS[1:7], "quality", "bad")
    assert train(ws, "quality").metrics.folds is None  # still one positive
    ws.labels.add(A_IDS[1:2], "quality", "good")
    retrained = train(ws, "quality")
    assert retrained.metrics.folds == 2 and retrained.metrics.roc_auc is not None


def test_unlabelled_negatives_are_a_seeded_sample_of_documents_without_that_label(ws):
    _seed(ws, A_IDS[:5], B_IDS[:3])  # the 3 "bad" ones are labelled, so never sampled as negatives
    ws.labels.add(A_IDS[5:8], "topic", "x")  # another label name does not count
    clf = train(ws, "quality", negative=None, name="dclm", unlabelled_negatives=20, seed=3)
    assert clf.negative is None and clf.metrics.negatives == 20 and clf.metrics.positives == 5
    snap = clf.labels_snapshot
    assert snap["unlabelled_negatives"] == 20 and snap["unlabelled_pool"] == len(IDS) - 8
    everything = train(ws, "quality", negative=None, name="dclm", unlabelled_negatives=10_000)
    assert everything.metrics.negatives == len(IDS) - 8
    assert set(list_classifiers(ws)) == {"dclm"}
    assert len(_column(ws, "score_dclm")) == len(IDS)


def test_bad_requests_are_clear_errors(ws):
    with pytest.raises(ClassifierError, match="no document is labelled quality='good'"):
        train(ws, "quality")
    _seed(ws, A_IDS[:3], None)
    with pytest.raises(ClassifierError, match=r"quality='bad'.*'good': 3"):
        train(ws, "quality")
    for name in ("9lives", "a-b", "", "has space"):
        with pytest.raises(ClassifierError, match="not an identifier"):
            train(ws, "quality", negative=None, name=name)
    with pytest.raises(ClassifierError, match="must differ"):
        train(ws, "quality", positive="good", negative="good")
    with pytest.raises(ClassifierError, match="C must be positive"):
        train(ws, "quality", negative=None, C=0)
    # a source field named like a score column is stored as score_clash_src (issue 8, defect 4),
    # and a score_ column no classifier wrote (a source field of an older workspace) is never overwritten
    assert "score_clash_src" in ws.store.docs_schema().names
    ws.store.table("docs").add_columns({"score_clash": "score_clash_src"})
    with pytest.raises(ClassifierError, match="'score_clash' that no Loupe classifier named 'clash' wrote"):
        train(ws, "quality", negative=None, name="clash")
    assert _column(ws, "score_clash") == {d["id"]: pytest.approx(d["score_clash"]) for d in DOCS}
    assert list_classifiers(ws) == []
    with pytest.raises(ClassifierError, match="no classifier named 'nope'"):
        load(ws, "nope")
    with pytest.raises(ClassifierError, match="32-d vectors"):
        train(ws, "quality", negative=None).score(np.zeros((2, 16), np.float32))
    with pytest.raises(ClassifierError, match="there are: quality"):
        load(ws, "nope")


# ---- thresholds -------------------------------------------------------------------------


def test_percentile_threshold_is_exact():
    scores = np.arange(100, dtype=np.float32)
    assert percentile_threshold(scores, 0.10) == 90.0
    assert percentile_threshold(scores, 0.01) == 99.0
    assert percentile_threshold(scores, 1.0) == 0.0
    assert percentile_threshold(scores, 0.5) == 50.0
    assert percentile_threshold(np.arange(15.0), 0.10) == 13.0  # ceil(1.5) = 2 kept: 13, 14
    assert percentile_threshold(np.array([0.2, 0.9, 0.4]), 0.001) == 0.9  # at least one kept
    assert percentile_threshold(np.array([1.0, 1.0, 1.0, 0.0]), 0.25) == 1.0  # ties all kept
    assert percentile_threshold(np.array([np.nan, 0.3, 0.1, np.nan, 0.2]), 1 / 3) == 0.3  # NaN never counts
    rng = np.random.default_rng(0)
    values = rng.random(1_001)
    for share in (0.001, 0.05, 0.1, 0.25, 0.333, 0.5, 0.9, 1.0):
        t = percentile_threshold(values, share)
        assert (values >= t).sum() == math.ceil(share * len(values))
    for bad in (0, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="keep_top"):
            percentile_threshold(values, bad)
    with pytest.raises(ValueError, match="no scores"):
        percentile_threshold(np.array([np.nan]), 0.1)


# ---- active-learning queues ---------------------------------------------------------------


def test_queues_skip_labelled_documents_and_order_by_uncertainty_and_by_score(ws):
    _seed(ws, A_IDS[:3], B_IDS[:3])
    ws.labels.add(A_IDS[3:5], "quality", "meh")  # labelled with another value: still labelled
    ws.labels.add(B_IDS[3:5], "topic", "x")  # another name: still unlabelled for this queue
    train(ws, "quality")
    scores = _column(ws, "score_quality")
    labelled = set(A_IDS[:5] + B_IDS[:3])
    open_ids = [i for i in IDS if i not in labelled]  # docs order
    by_doubt = sorted(open_ids, key=lambda i: (abs(scores[i] - 0.5), IDS.index(i)))
    by_score = sorted(open_ids, key=lambda i: (-scores[i], IDS.index(i)))
    assert uncertain(ws, "quality", limit=1000) == by_doubt
    assert likely_positive(ws, "quality", limit=1000) == by_score
    assert uncertain(ws, "quality", limit=5) == by_doubt[:5]
    assert likely_positive(ws, "quality") == by_score[:50]
    assert likely_positive(ws, "quality", limit=0) == []
    assert set(likely_positive(ws, "quality", limit=10)) <= set(A_IDS)  # the separable topic comes first
    some = B_IDS[3:12] + A_IDS[:2]
    assert uncertain(ws, "quality", candidates=some, limit=100) == [i for i in by_doubt if i in some]
    first = uncertain(ws, "quality", limit=3)
    ws.labels.add(first[:1], "quality", "good")  # labelled now: gone from the queue, no retrain needed
    assert uncertain(ws, "quality", limit=2) == first[1:3]


def test_queues_refuse_a_score_column_that_lags_its_classifier(ws, tmp_path):
    _seed(ws)
    train(ws, "quality")
    # a row stored without its score, as a kill after ingest and before `index` rescored leaves it
    row = ws.docs(where="id = 'a00'").drop_columns(["score_quality"])
    ws.store.append_docs(row.set_column(row.schema.get_field_index("id"), "id", pa.array(["new1"])))
    with pytest.raises(ClassifierError, match=r"1 unlabelled documents have no score_quality.*rescore"):
        uncertain(ws, "quality")
    rescore(ws, "quality")
    assert "new1" in uncertain(ws, "quality", limit=1000)
    ws.store.table("docs").drop_columns(["score_quality"])  # as a kill between drop and merge leaves it
    with pytest.raises(ClassifierError, match="'score_quality' is missing"):
        likely_positive(ws, "quality")
    rescore(ws, "quality")
    assert len(likely_positive(ws, "quality", limit=1000)) == len(IDS) + 1 - 12


# ---- storage -----------------------------------------------------------------------------


def test_save_and_load_round_trip_without_pickle(ws):
    _seed(ws)
    trained = train(ws, "quality", C=2.0, seed=4)
    loaded = load(ws, "quality")
    assert loaded == trained  # every field but coef (compared below) and this run's stats
    assert np.array_equal(loaded.coef, trained.coef) and loaded.coef.dtype == np.float64
    assert loaded.params["C"] == 2.0 and loaded.params["seed"] == 4 and loaded.params["class_weight"] == "balanced"
    assert np.array_equal(loaded.score(np.eye(32, dtype=np.float32)), trained.score(np.eye(32, dtype=np.float32)))
    folder = ws.root / "classifiers" / "quality"
    assert sorted(p.name for p in folder.iterdir()) == ["coef.npy", "meta.json"]
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["model"] == "hash:32" and meta["metrics"]["roc_auc"] == trained.metrics.roc_auc
    assert meta["labels_snapshot"]["positive_ids"] == A_IDS[:6]


def test_a_classifier_folder_never_holds_a_pickle(ws):
    _seed(ws)
    train(ws, "quality")
    train(ws, "quality", negative=None, name="dclm")
    files = [p for p in (ws.root / "classifiers").rglob("*") if p.is_file()]
    assert sorted(p.name for p in files) == ["coef.npy", "coef.npy", "meta.json", "meta.json"]
    for path in files:
        raw = path.read_bytes()
        assert not raw.startswith(b"\x80"), f"{path} looks like a pickle"
        if path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)  # raises for an object (pickled) array
            assert array.dtype == np.float64 and array.dtype != object
            assert b"'descr': '<f8'" in raw[:128]
        else:
            json.loads(raw)


def test_an_error_mid_save_leaves_the_previous_classifier_intact(ws, monkeypatch):
    _seed(ws)
    before = train(ws, "quality")
    column_before = _column(ws, "score_quality")
    ws.labels.add(A_IDS[6:12], "quality", "good")

    real_write = storage._write_files

    def half_write(folder, classifier):
        real_write(folder, classifier)
        (folder / "meta.json").write_text("{half")  # as if the write stopped here
        raise OSError("disk full")

    monkeypatch.setattr(storage, "_write_files", half_write)
    with pytest.raises(OSError, match="disk full"):
        train(ws, "quality")
    monkeypatch.undo()
    after = load(ws, "quality")
    assert after == before and np.array_equal(after.coef, before.coef)
    assert _column(ws, "score_quality") == column_before  # the column is written after the save
    assert sorted(p.name for p in (ws.root / "classifiers").iterdir()) == ["quality"]  # nothing left over

    real_rename = os.rename
    calls = []

    def rename_fails_second_time(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(storage.os, "rename", rename_fails_second_time)
    with pytest.raises(OSError, match="rename failed"):
        train(ws, "quality")
    monkeypatch.undo()
    assert load(ws, "quality") == before
    assert sorted(p.name for p in (ws.root / "classifiers").iterdir()) == ["quality"]


KILL_BETWEEN_RENAMES = """
import os, sys
from indexing import Workspace
from indexing.curate.classifiers import storage
from indexing.curate.classifiers import train
real = os.rename
def rename(src, dst):
    real(src, dst)
    if ".old-" in str(dst):  # the old version is aside, the new one not yet in place
        os._exit(9)
storage.os.rename = rename
train(Workspace.open(sys.argv[1]), "quality")
"""


def test_a_kill_between_the_renames_keeps_the_old_classifier_readable(ws):
    _seed(ws)
    before = train(ws, "quality")
    ws.labels.add(A_IDS[6:12], "quality", "good")
    killed = subprocess.run([sys.executable, "-c", KILL_BETWEEN_RENAMES, str(ws.root)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == 9, killed.stderr
    base = ws.root / "classifiers"
    assert not (base / "quality").exists() and any(p.name.startswith(".quality.old-") for p in base.iterdir())
    assert list_classifiers(ws) == ["quality"]
    assert load(ws, "quality") == before  # read from the folder left aside
    again = train(ws, "quality")  # the next save puts it back, then replaces it, and tidies up
    assert again.metrics.positives == 12
    assert sorted(p.name for p in base.iterdir()) == ["quality"]
    assert load(ws, "quality") == again


def test_two_named_classifiers_coexist(ws):
    _seed(ws)
    ws.labels.add(B_IDS[:4], "topic", "beta")
    ws.labels.add(A_IDS[10:14], "topic", "alpha")
    quality = train(ws, "quality")
    topic = train(ws, "topic", positive="beta", negative="alpha", name="beta_topic")
    dclm = train(ws, "quality", negative=None, name="quality_dclm")
    assert list_classifiers(ws) == ["beta_topic", "quality", "quality_dclm"]
    names = ws.store.docs_schema().names
    assert {"score_quality", "score_beta_topic", "score_quality_dclm"} <= set(names)
    assert load(ws, "beta_topic").positive == "beta" and load(ws, "quality_dclm").negative is None
    beta_scores = _column(ws, "score_beta_topic")
    assert min(beta_scores[i] for i in B_IDS) > max(beta_scores[i] for i in A_IDS)
    dclm_before = _column(ws, "score_quality_dclm")
    ws.labels.add(A_IDS[6:9], "quality", "good")
    retrained = train(ws, "quality")
    assert retrained.metrics.positives == 9 and load(ws, "quality").trained_at != quality.trained_at
    assert _column(ws, "score_quality_dclm") == dclm_before  # the others are untouched
    assert load(ws, "beta_topic") == topic and load(ws, "quality_dclm") == dclm


# ---- fastText -----------------------------------------------------------------------------


def test_fasttext_file_format_is_exact(ws, tmp_path):
    by_id = {d["id"]: d for d in DOCS}
    assert any("\n" in by_id[i]["text"] or "\t" in by_id[i]["text"] for i in A_IDS[:4] + B_IDS[:3])
    ws.labels.add(A_IDS[:4], "quality", "good")
    ws.labels.add(B_IDS[:3], "quality", "bad")
    ws.labels.add(B_IDS[3:5], "quality", "so so")  # whitespace in a value: fastText splits labels on it
    ws.labels.add(A_IDS[20:22], "topic", "x")
    path = tmp_path / "quality.txt"
    assert export_fasttext(ws, "quality", path) == 9
    raw = path.read_bytes().decode("utf-8")
    assert raw.endswith("\n") and "\r" not in raw and "\t" not in raw and "\u2028" not in raw
    lines = raw.split("\n")[:-1]
    expected = {f"__label__good {by_id[i]['words_of']}" for i in A_IDS[:4]}
    expected |= {f"__label__bad {by_id[i]['words_of']}" for i in B_IDS[:3]}
    expected |= {f"__label__so_so {by_id[i]['words_of']}" for i in B_IDS[3:5]}
    assert len(lines) == 9 and set(lines) == expected
    assert lines != sorted(lines, key=lambda l: l.split(" ")[0])  # shuffled, not grouped by label
    assert export_fasttext(ws, "quality", path) == 9 and path.read_text() == raw  # seeded: same order
    only = tmp_path / "gb.txt"
    assert export_fasttext(ws, "quality", only, positive="good", negative="bad") == 7
    assert {l.split(" ")[0] for l in only.read_text().splitlines()} == {"__label__good", "__label__bad"}
    assert export_fasttext(ws, "quality", only, positive="good") == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gb.txt", "quality.txt", "ws"]  # no temp files


def test_fasttext_bad_requests_are_clear_errors(ws, tmp_path):
    with pytest.raises(ClassifierError, match="no document is labelled quality"):
        export_fasttext(ws, "quality", tmp_path / "x.txt")
    ws.labels.add(A_IDS[:2], "quality", "good")
    with pytest.raises(ClassifierError, match="'bad'"):
        export_fasttext(ws, "quality", tmp_path / "x.txt", negative="bad")
    with pytest.raises(ClassifierError, match="is a folder"):
        export_fasttext(ws, "quality", tmp_path)
    with pytest.raises(ClassifierError, match="does not exist"):
        export_fasttext(ws, "quality", tmp_path / "nowhere" / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_documents_added_later_get_every_saved_classifiers_score(ws, tmp_path):
    _seed(ws)
    train(ws, "quality", positive="good", negative="bad")
    more = [{**d, "id": d["id"] + "-new"} for d in _docs(6, seed=9)]
    ws.index([write_jsonl(tmp_path / "more.jsonl", more)])
    scores = _column(ws, "score_quality")
    assert len(scores) == len(DOCS) + len(more) and all(s is not None for s in scores.values())


def _damage_meta(change):
    def damage(folder):
        meta = json.loads((folder / "meta.json").read_text())
        (folder / "meta.json").write_text(json.dumps(change(meta)))
    return damage


@pytest.mark.parametrize("damage, where", [
    (_damage_meta(lambda m: {k: v for k, v in m.items() if k != "dimension"}), "meta.json"),
    (_damage_meta(lambda m: [m]), "meta.json"),
    (_damage_meta(lambda m: {**m, "metrics": "good"}), "meta.json"),
    (_damage_meta(lambda m: {**m, "dimension": "32"}), "meta.json"),
    (lambda f: (f / "meta.json").write_text('{"format_version": 1, "na'), "meta.json"),
    (lambda f: np.save(f / "coef.npy", np.zeros(7)), "coef.npy"),
    (lambda f: (f / "coef.npy").write_bytes(b"not numpy"), "coef.npy"),
], ids=["no-dimension", "list", "metrics-not-object", "dimension-a-string", "truncated", "coef-wrong-size",
        "coef-garbage"])
def test_a_damaged_classifier_is_a_classifier_error_naming_the_file(ws, damage, where):
    """issue 8, defect 11: a meta.json without `dimension` or holding a list gave a
    KeyError/AttributeError traceback; every damaged classifier is one ClassifierError
    naming the file and what to do (retrain, or delete the folder)."""
    _seed(ws)
    train(ws, "quality")
    folder = ws.root / "classifiers" / "quality"
    damage(folder)
    with pytest.raises(ClassifierError) as info:
        load(ws, "quality")
    message = str(info.value)
    assert str(folder / where) in message and "loupe train" in message and "delete" in message
    assert list_classifiers(ws) == ["quality"]  # still listed, so the user sees it and can fix it
    train(ws, "quality")  # retraining replaces it
    assert load(ws, "quality").dimension == 32
