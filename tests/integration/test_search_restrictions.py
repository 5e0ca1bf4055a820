"""Search by meaning (FAISS) and by words (LanceDB full-text) restricted to allowed ids
and to predicates that name labels, checked against brute force over the stored vectors
and against the unrestricted full-text ranking. Real LanceDB and FAISS throughout; the
model is `hash:32`, the deterministic test embedder (bag-of-words hashing), for speed.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexing import Workspace

N = 1150  # above the 1000 hits a restricted keyword search first asks the text index for
VOCABULARY = [f"w{i}" for i in range(300)]


def _rows() -> list[dict]:
    rng = random.Random(11)
    # every text has "needle" once; later documents are longer, so their BM25 score is lower
    return [{"id": f"d{i:04d}", "text": "needle " + " ".join(rng.choice(VOCABULARY) for _ in range(5 + i // 50))}
            for i in range(N)]


ROWS = _rows()
TEXT = {r["id"]: r["text"] for r in ROWS}
QUERY = "w1 w2 w3 w4 w5 w6 w7 w8"


@pytest.fixture(scope="module")
def template(indexed_template):
    # the 2-D map plays no part in search; skipping UMAP keeps this module fast
    path = indexed_template(ROWS, map=False).path
    assert Workspace.open(path).count() == N
    return path


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(ROWS, map=False)


@pytest.fixture(scope="module")
def similarity(template) -> dict[str, float]:
    """Cosine similarity of QUERY to every document, by brute force over the stored vectors."""
    ws = Workspace.open(template)
    table = ws.docs(columns=["id", "vector"])
    vectors = np.array(table["vector"].to_pylist(), dtype=np.float64)
    query = ws.embedder().encode([QUERY]).astype(np.float64)[0]
    return dict(zip(table["id"].to_pylist(), (vectors @ query).tolist()))


@pytest.fixture(scope="module")
def bm25(template) -> list[tuple[str, float]]:
    """The unrestricted full-text ranking of 'needle': every document, best first."""
    found = Workspace.open(template).keyword_search("needle", k=N)
    return list(zip(found["id"].to_pylist(), found["_score"].to_pylist()))


def _hits(table) -> list[tuple[str, float]]:
    return list(zip(table["id"].to_pylist(), table["_score"].to_pylist()))


def _check_meaning(table, similarity, allowed, k):
    """The hits are allowed, scored by their cosine, and the k best of the allowed (ties
    in any order)."""
    hits = _hits(table)
    assert all(doc_id in allowed for doc_id, _ in hits)
    assert len(hits) == len({d for d, _ in hits}) == min(k, len(allowed))
    for doc_id, score in hits:
        assert score == pytest.approx(similarity[doc_id], abs=1e-5)
    best = sorted((similarity[i] for i in allowed), reverse=True)[:k]
    assert [s for _, s in hits] == pytest.approx(best, abs=1e-5)
    return [d for d, _ in hits]


def _check_words(table, ranking, allowed, k):
    """The hits are allowed, keep their unrestricted BM25 score, and are the k best of the
    allowed matches, best first (ties in any order)."""
    hits = _hits(table)
    score_of = dict(ranking)
    assert all(doc_id in allowed for doc_id, _ in hits)
    matches = [s for d, s in ranking if d in allowed]
    assert len(hits) == len({d for d, _ in hits}) == min(k, len(matches))
    for doc_id, score in hits:
        assert score == pytest.approx(score_of[doc_id], rel=1e-5)
    assert [s for _, s in hits] == pytest.approx(sorted(matches, reverse=True)[:k], rel=1e-5)
    return [d for d, _ in hits]


# ---- by meaning ---------------------------------------------------------------------


def test_unrestricted_search_is_the_k_nearest_of_all(ws, similarity):
    found = ws.search(QUERY, k=10)
    assert found.column_names == ["id", "text", "_score"]
    ids = _check_meaning(found, similarity, set(TEXT), 10)
    assert found["text"].to_pylist() == [TEXT[i] for i in ids]
    assert _hits(ws.search(QUERY, k=10, where=None, ids=None)) == _hits(found)
    assert _hits(ws.search(QUERY, k=10, where="  ")) == _hits(found)


def test_search_among_ids(ws, similarity):
    rng = random.Random(1)
    allowed = set(rng.sample(sorted(TEXT), 40))
    found = ws.search(QUERY, k=8, ids=sorted(allowed))
    ids = _check_meaning(found, similarity, allowed, 8)
    assert set(ids) != {d for d, _ in _hits(ws.search(QUERY, k=8))}  # not the unrestricted answer
    few = sorted(allowed)[:3] + ["no-such-id"]  # fewer allowed than k; an unknown id is ignored
    assert sorted(ws.search(QUERY, k=8, ids=few)["id"].to_pylist()) == sorted(allowed)[:3]
    empty = ws.search(QUERY, k=8, ids=[])
    assert empty.num_rows == 0 and empty.column_names == ["id", "text", "_score"]


def test_search_where_a_label_predicate_holds(ws, similarity):
    top = [d for d, _ in _hits(ws.search(QUERY, k=5))]
    ws.labels.add(top, "quality", "bad")
    ws.labels.add(["d0001", "d0002"], "quality", "good")
    kept = set(TEXT) - set(top)
    ids = _check_meaning(ws.search(QUERY, k=5, where="quality != 'bad'"), similarity, kept, 5)
    assert not set(ids) & set(top)
    bad = _check_meaning(ws.search(QUERY, k=10, where="quality = 'bad'"), similarity, set(top), 10)
    assert sorted(bad) == sorted(top)  # only 5 are bad: 5 results for k=10
    short = {i for i in TEXT if len(TEXT[i].split()) < 12}
    both = ws.search(QUERY, k=5, where="quality != 'bad' AND tokens < 12", ids=sorted(short | set(top))[:200])
    _check_meaning(both, similarity, set(sorted(short | set(top))[:200]) & kept & short, 5)
    # unrestricted search still sees labelled documents
    assert [d for d, _ in _hits(ws.search(QUERY, k=5))] == top


# ---- by words -----------------------------------------------------------------------


def test_unrestricted_keyword_search_is_the_top_of_the_ranking(ws, bm25):
    assert len(bm25) == N and {d for d, _ in bm25} == set(TEXT)
    found = ws.keyword_search("needle", k=10)
    _check_words(found, bm25, set(TEXT), 10)
    assert _hits(ws.keyword_search("needle", k=10, where=None, ids=None)) == _hits(found)
    assert found["text"].to_pylist() == [TEXT[i] for i in found["id"].to_pylist()]


def test_keyword_search_among_few_ids_deep_in_the_ranking_still_returns_k(ws, bm25):
    rank = {d: r for r, (d, _) in enumerate(bm25)}
    allowed = {f"d{i:04d}" for i in range(N - 12, N)}  # the longest texts: the lowest scores
    assert min(rank[d] for d in allowed) >= 1000  # beyond the first request to the text index
    found = ws.keyword_search("needle", k=5, ids=sorted(allowed))
    assert found.num_rows == 5
    _check_words(found, bm25, allowed, 5)
    every = ws.keyword_search("needle", k=50, ids=sorted(allowed))
    assert sorted(every["id"].to_pylist()) == sorted(allowed)


def test_keyword_search_among_ids_returns_only_their_matches(ws):
    rng = random.Random(2)
    allowed = set(rng.sample(sorted(TEXT), 60))
    word = "w17"
    matching = {d for d in allowed if word in TEXT[d].split()}
    assert 0 < len(matching) < 10
    found = ws.keyword_search(word, k=10, ids=sorted(allowed))
    assert set(found["id"].to_pylist()) == matching
    scores = found["_score"].to_pylist()
    assert scores == sorted(scores, reverse=True)


def test_keyword_search_where_a_label_predicate_holds(ws, bm25):
    top = [d for d, _ in _hits(ws.keyword_search("needle", k=6))]
    ws.labels.add(top, "quality", "bad")
    kept = set(TEXT) - set(top)
    ids = _check_words(ws.keyword_search("needle", k=6, where="quality != 'bad'"), bm25, kept, 6)
    assert not set(ids) & set(top)
    bad = ws.keyword_search("needle", k=10, where="quality = 'bad'")
    assert sorted(bad["id"].to_pylist()) == sorted(top)
    deep = {f"d{i:04d}" for i in range(N - 12, N)}
    ws.labels.add(sorted(deep)[:4], "quality", "bad")
    within = ws.keyword_search("needle", k=5, where="quality != 'bad'", ids=sorted(deep))
    _check_words(within, bm25, deep - set(sorted(deep)[:4]), 5)


def test_a_source_field_named_score_survives_every_search(indexed_workspace):
    """issue 8, defect 16: a source field `score` collided with the score column that
    search, keyword_search and neighbors add; that column is `_score` now."""
    rows = [{"id": f"s{i}", "text": f"needle {VOCABULARY[i]} {VOCABULARY[i + 1]}", "score": i * 10} for i in range(30)]
    ws = indexed_workspace(rows, map=False)
    source_score = {r["id"]: r["score"] for r in rows}
    for found in (ws.search("needle w3", k=5, columns=["id", "score"]),
                  ws.keyword_search("needle", k=5, columns=["id", "score"]),
                  ws.neighbors("s3", k=5, columns=["id", "score"])):
        assert found.column_names == ["id", "score", "_score"]
        assert found.num_rows == 5
        assert found["score"].to_pylist() == [source_score[i] for i in found["id"].to_pylist()]
        similarity = found["_score"].to_pylist()
        assert similarity == sorted(similarity, reverse=True)
