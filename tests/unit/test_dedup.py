"""Unit tests for indexing.curate.dedup (exact, MinHash LSH, semantic), its columns, and diff_html."""

from __future__ import annotations

import json
import random
from html.parser import HTMLParser

import numpy as np
import pyarrow as pa
import pytest

from components.diff import diff_html
from indexing import dedup as dd
from indexing.curate.dedup import minhash as minhash_module
from indexing.curate.dedup import semantic as semantic_module
from indexing.curate.dedup.groups import groups_from_pairs, kept_members, star_edges

_rng = random.Random(4)
VOCABULARY = ["".join(_rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_rng.randint(3, 9)))
              for _ in range(5000)]


def words(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCABULARY) for _ in range(n)]


def prose(n: int, seed: int) -> str:
    return " ".join(words(n, seed))


def one_word_changed(text: str) -> str:
    parts = text.split(" ")
    parts[len(parts) // 2] = "zzzchanged"
    return " ".join(parts)


BASE = prose(80, 1)
NEAR = prose(200, 2)
DOCS = (
    [{"id": f"u{i}", "text": prose(60 + 7 * i, 100 + i), "score_quality": 0.1 * i} for i in range(10)]
    + [
        {"id": "a", "text": BASE, "score_quality": 0.2},
        {"id": "a_shout", "text": "  " + BASE.upper().replace(" ", " \n\t ") + "\n", "score_quality": 0.5},
        {"id": "a_nbsp", "text": BASE.replace(" ", "\u00a0"), "score_quality": 0.9},
        {"id": "n", "text": NEAR, "score_quality": None},
        {"id": "n_near", "text": one_word_changed(NEAR), "score_quality": 0.3},
        {"id": "sym", "text": "!!! ??? ...", "score_quality": 0.0},
        {"id": "sym2", "text": "*** ### ,,,", "score_quality": 0.0},
    ]
)
IDS = [d["id"] for d in DOCS]


def at(*ids: str) -> list[int]:
    return [IDS.index(i) for i in ids]


def members(groups: np.ndarray) -> set[frozenset[str]]:
    """The groups as sets of ids (a group id is its smallest position)."""
    out: dict[int, set[str]] = {}
    for position, group in enumerate(groups):
        if group >= 0:
            assert group <= position
            out.setdefault(int(group), set()).add(IDS[position])
    for group, ids in out.items():
        assert IDS[group] in ids  # the id is the group's smallest position
    return {frozenset(ids) for ids in out.values()}


TEXTS = [d["text"] for d in DOCS]


# ---- exact -----------------------------------------------------------------------------


def test_exact_groups_case_whitespace_and_compatibility_forms():
    groups = dd.exact_groups(TEXTS)
    assert groups.dtype == np.int64 and groups.shape == (len(TEXTS),)
    assert members(groups) == {frozenset({"a", "a_shout", "a_nbsp"})}
    assert groups[at("a")[0]] == at("a")[0]
    assert (groups[at("n", "n_near", "sym", "sym2", *[f"u{i}" for i in range(10)])] == -1).all()


def test_exact_normalisation_keeps_punctuation_and_inner_spacing():
    assert dd.normalise("  Straße\u00a0ＡＢＣ \n x ") == "strasse abc x"
    groups = dd.exact_groups(["a < b", "a > b", "A  <  B", "ab", "a b"])
    assert groups.tolist() == [0, -1, 0, -1, -1]
    assert dd.exact_groups([]).tolist() == []
    with pytest.raises(ValueError, match="sequence of strings"):
        dd.exact_groups("one text")


# ---- MinHash ---------------------------------------------------------------------------


def test_minhash_finds_a_one_word_edit_that_exact_misses():
    groups = dd.minhash_groups(TEXTS, threshold=0.8)
    assert frozenset({"n", "n_near"}) in members(groups)
    assert frozenset({"a", "a_shout", "a_nbsp"}) in members(groups)
    assert len(members(groups)) == 2  # unrelated texts and symbol-only texts stay alone
    exact = dd.exact_groups(TEXTS)
    assert exact[at("n")[0]] == -1 and exact[at("n_near")[0]] == -1


def test_minhash_threshold_separates_a_light_edit_from_a_heavy_one():
    base = words(200, 7)
    light = list(base)
    light[100] = "qqqq"
    heavy = list(base)
    for i in range(0, 200, 4):  # every 4th word changed: almost no 5-gram survives
        heavy[i] = f"x{i}"
    texts = [" ".join(base), " ".join(light), " ".join(heavy)]
    assert dd.minhash_groups(texts, threshold=0.8).tolist() == [0, 0, -1]
    assert dd.minhash_groups(texts, threshold=0.99).tolist() == [-1, -1, -1]


def test_minhash_never_groups_unrelated_texts():
    texts = [prose(random.Random(i).randint(20, 300), 1000 + i) for i in range(300)]
    assert (dd.minhash_groups(texts, threshold=0.5) == -1).all()


def test_minhash_many_copies_are_one_group_and_results_are_deterministic():
    texts = [prose(50, 9)] * 40 + [prose(50, 10)] + [one_word_changed(prose(300, 11)), prose(300, 11)]
    first = dd.minhash_groups(texts)
    assert first.tolist() == [0] * 40 + [-1, 41, 41]
    assert dd.minhash_groups(texts).tolist() == first.tolist()


def test_minhash_signatures_are_datasketch_minhashes():
    from datasketch import MinHash

    text = prose(30, 12)
    values, has_words = minhash_module.signatures([text, "!!!"], num_perm=64, ngram=5, seed=3)
    direct = MinHash(num_perm=64, seed=3)
    direct.update_batch(dd.shingles(text, 5))
    assert np.array_equal(values[0], direct.hashvalues)
    assert has_words.tolist() == [True, False]
    assert dd.shingles("Hello, WORLD!  again", 5) == [b"hello world again"]
    assert dd.shingles("a b c d e f", 5) == [b"a b c d e", b"b c d e f"]


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"threshold": 1.5}, {"num_perm": 8}, {"ngram": 0}])
def test_minhash_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        dd.minhash_groups(["a b c"], **kwargs)


# ---- semantic --------------------------------------------------------------------------


def planted_vectors(seed: int = 0):
    """200 random directions in 64-d, and for 20 of them a copy at cosine ~0.99."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((220, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for k in range(20):
        noise = rng.standard_normal(64).astype(np.float32)
        noise -= noise @ x[k] * x[k]
        noise /= np.linalg.norm(noise)
        x[200 + k] = 0.99 * x[k] + np.sqrt(1 - 0.99**2) * noise  # cosine exactly 0.99
    return x * rng.uniform(0.5, 3.0, (220, 1)).astype(np.float32)  # lengths do not matter


def test_semantic_groups_planted_near_vectors_and_not_far_ones():
    x = planted_vectors()
    for clusters in (1, 4, None):
        groups = dd.semantic_groups(x, eps=0.05, clusters=clusters)
        assert (groups[:20] == np.arange(20)).all(), clusters
        assert (groups[200:] == np.arange(20)).all(), clusters
        assert (groups[20:200] == -1).all()
    assert (dd.semantic_groups(x, eps=0.005, clusters=1) == -1).all()  # 0.99 < 1 - 0.005


def test_semantic_pairs_match_brute_force_across_blocks(monkeypatch):
    rng = np.random.default_rng(1)
    x = semantic_module.unit_rows(rng.standard_normal((300, 8)))
    threshold = 0.8
    sims = x @ x.T
    want = {(i, j) for i, j in zip(*np.nonzero(sims >= threshold)) if i < j}
    monkeypatch.setattr(semantic_module, "BLOCK_VALUES", 300 * 70)  # blocks of 70 rows
    got = semantic_module.close_pairs(x, threshold)
    assert {tuple(p) for p in got.tolist()} == want and len(got) == len(want)


def test_semantic_many_copies_keep_few_edges_and_one_group(monkeypatch):
    monkeypatch.setattr(semantic_module, "BLOCK_VALUES", 500 * 64)
    x = np.tile(semantic_module.unit_rows(np.ones((1, 8))), (500, 1))
    pairs = semantic_module.close_pairs(x, 0.95)
    assert len(pairs) < 4 * 500 + 64 * 500  # not the 124,750 pairs
    assert dd.semantic_groups(x, clusters=3).tolist() == [0] * 500


@pytest.mark.parametrize("kwargs", [{"eps": 0}, {"eps": 1}, {"clusters": 0}])
def test_semantic_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        dd.semantic_groups(planted_vectors(), **kwargs)


def test_semantic_bad_vectors():
    with pytest.raises(ValueError, match="2-d"):
        dd.semantic_groups(np.ones(5))
    bad = planted_vectors()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dd.semantic_groups(bad)
    assert dd.semantic_groups(np.ones((1, 4))).tolist() == [-1]


def test_semantic_small_corpora_compare_every_pair():
    assert dd.semantic_groups(np.array([[1.0, 0.0], [1.0, 0.01]])).tolist() == [0, 0]
    assert dd.semantic_groups(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [1.0, 0.001]])).tolist() == [0, -1, -1, 0]
    assert semantic_module.default_clusters(10_000) == 1 and semantic_module.default_clusters(100_000) > 1


# ---- groups, keep rules, recall ------------------------------------------------------


def test_groups_from_pairs_are_components_named_by_their_first_member():
    pairs = np.array([[5, 2], [2, 7], [1, 3]])
    assert groups_from_pairs(8, pairs).tolist() == [-1, 1, 2, 1, -1, 2, -1, 2]
    assert groups_from_pairs(3, []).tolist() == [-1, -1, -1]
    assert sorted(map(tuple, star_edges(8, pairs).tolist())) == [(1, 3), (2, 5), (2, 7)]


def test_keep_rules_pick_one_per_group():
    groups = np.array([-1, 1, 1, 1, -1, 5, 5])
    assert kept_members(groups).tolist() == [True, True, False, False, True, True, False]
    rank = np.array([0, 10, 30, 30, 0, np.nan, 1.0])  # tie: the first; NaN ranks last
    assert kept_members(groups, rank).tolist() == [True, False, True, False, True, False, True]


def test_pairs_found_is_recall_over_true_pairs():
    groups = np.array([0, 0, -1, 3, 3, -1])
    assert dd.pairs_found(groups, [(0, 1), (3, 4), (2, 5), (0, 3)]) == 0.5
    assert dd.pairs_found(groups, np.array([[1, 0]])) == 1.0
    with pytest.raises(ValueError, match="empty"):
        dd.pairs_found(groups, [])
    with pytest.raises(ValueError, match="outside"):
        dd.pairs_found(groups, [(0, 6)])


# ---- the stage on a workspace ----------------------------------------------------------


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def columns(ws) -> dict[str, tuple]:
    table = ws.docs(columns=["id", "dup_group", "dup_keep"])
    return {i: (g, k) for i, g, k in zip(*(table[c].to_pylist() for c in table.column_names))}


def kept_in(ws, ids) -> list[str]:
    values = columns(ws)
    return [i for i in ids if values[i][1]]


def test_dedup_writes_group_and_keep_for_every_document(ws):
    result = dd.dedup(ws, "exact")
    assert (result.method, result.groups, result.duplicates, result.removed) == ("exact", 1, 3, 2)
    assert result.documents == len(DOCS) and result.keep_rule == "longest" and result.seconds >= 0
    schema = ws.store.docs_schema()
    assert schema.field("dup_group").type == pa.int64() and schema.field("dup_keep").type == pa.bool_()
    values = columns(ws)
    positions = {i: p for p, i in enumerate(ws.docs(columns=["id"])["id"].to_pylist())}
    group = {values[i][0] for i in ("a", "a_shout", "a_nbsp")}
    assert group == {min(positions[i] for i in ("a", "a_shout", "a_nbsp"))}
    uniques = [i for i in IDS if i not in ("a", "a_shout", "a_nbsp")]
    assert all(values[i] == (None, True) for i in uniques)
    assert kept_in(ws, ["a", "a_shout", "a_nbsp"]) == ["a_shout"]  # longest: the padded copy
    assert sorted(ws.select("dup_keep = true")) == sorted(uniques + ["a_shout"])


def test_keep_rules_longest_score_first(ws):
    # the source field score_quality is stored as score_quality_src (Loupe owns score_*)
    dd.dedup(ws, "minhash", keep="score", score_column="score_quality_src")
    assert kept_in(ws, ["a", "a_shout", "a_nbsp"]) == ["a_nbsp"]  # 0.9
    assert kept_in(ws, ["n", "n_near"]) == ["n_near"]  # n's score is null: ranks last
    dd.dedup(ws, "minhash", keep="first")
    assert kept_in(ws, ["a", "a_shout", "a_nbsp"]) == ["a"]
    assert kept_in(ws, ["n", "n_near"]) == ["n"]
    dd.dedup(ws, "minhash", keep="longest")
    assert kept_in(ws, ["a", "a_shout", "a_nbsp"]) == ["a_shout"]
    assert kept_in(ws, ["n", "n_near"]) == ["n_near"]  # "zzzchanged" is the longer word
    groups = [g for g, _ in columns(ws).values() if g is not None]
    for g in set(groups):  # exactly one kept per group
        assert sum(1 for group, keep in columns(ws).values() if group == g and keep) == 1


def test_rerun_replaces_the_columns_and_records_the_run(ws):
    dd.dedup(ws, "minhash")
    before = columns(ws)
    version = ws.store.version()
    dd.dedup(ws, "minhash")
    assert columns(ws) == before and ws.store.version() > version
    assert ws.store.docs_schema().names.count("dup_group") == 1 and ws.count() == len(DOCS)
    dd.dedup(ws, "exact")  # another method replaces both columns
    assert columns(ws)["n_near"] == (None, True)
    stage = json.loads((ws.root / "workspace.json").read_text())["stages"]["dedup"]
    assert stage["method"] == "exact" and stage["rows"] == len(DOCS) and stage["removed"] == 2
    assert dd.last_run(ws) == stage
    dd.dedup(ws, "semantic", threshold=0.97, keep="first")
    stage = dd.last_run(ws)
    assert stage["method"] == "semantic" and stage["threshold"] == 0.97 and stage["eps"] == pytest.approx(0.03)
    assert ws.info()["stages"]["dedup"]["keep"] == "first"


def test_semantic_dedup_on_the_workspace_vectors(ws):
    result = dd.dedup(ws, "semantic", threshold=0.99)
    assert result.threshold == 0.99
    values = columns(ws)
    # the hashing test embedder gives equal vectors to texts with equal lowercase words
    assert values["a"][0] is not None and values["a"][0] == values["a_shout"][0] == values["a_nbsp"][0]
    assert values["u3"] == (None, True)


def test_groups_table_lists_the_largest_groups_kept_first(ws):
    with pytest.raises(dd.DedupError, match="run `loupe dedup` first"):
        dd.groups_table(ws)
    dd.dedup(ws, "minhash", keep="first")
    table = dd.groups_table(ws)
    assert table.column_names[:5] == ["dup_group", "id", "text", "dup_keep", "chars"]
    rows = table.to_pylist()
    assert [r["id"] for r in rows] == ["a", "a_shout", "a_nbsp", "n", "n_near"]
    assert [r["dup_keep"] for r in rows] == [True, False, False, True, False]
    assert [r["dup_size"] for r in rows] == [3, 3, 3, 2, 2]
    assert rows[1]["chars"] == len(DOCS[IDS.index("a_shout")]["text"])
    assert [r["id"] for r in dd.groups_table(ws, limit=1).to_pylist()] == ["a", "a_shout", "a_nbsp"]
    with pytest.raises(ValueError):
        dd.groups_table(ws, limit=0)


@pytest.mark.parametrize("args, message", [
    (("fuzzy",), "unknown dedup method"),
    (("minhash", 1.5), "Jaccard similarity in"),
    (("minhash", 0.0), "Jaccard similarity in"),
    (("semantic", 1.0), "cosine similarity in"),
    (("semantic", "high"), "must be a number"),
])
def test_bad_method_or_threshold(ws, args, message):
    with pytest.raises(ValueError, match=message):
        dd.dedup(ws, *args)
    assert "dup_group" not in ws.store.docs_schema().names


@pytest.mark.parametrize("kwargs, message", [
    ({"keep": "shortest"}, "unknown keep rule"),
    ({"keep": "score"}, "needs a score column.*score_quality"),
    ({"keep": "score", "score_column": "score_nope"}, "no column 'score_nope'"),
    ({"keep": "score", "score_column": "text"}, "not a number"),
    ({"keep": "longest", "score_column": "score_quality"}, "only used with keep='score'"),
])
def test_bad_keep_rule_or_score_column(ws, kwargs, message):
    with pytest.raises(ValueError, match=message):
        dd.dedup(ws, "exact", **kwargs)


def test_empty_workspace_is_a_clear_error(tmp_path):
    from indexing import Workspace

    ws = Workspace.create(tmp_path / "empty", model="hash:32", id_field="id")
    with pytest.raises(ValueError, match="no documents"):
        dd.dedup(ws, "exact")


def test_documents_added_later_are_deduplicated_with_the_last_settings(ws, tmp_path):
    from tests.helpers import write_jsonl

    dd.dedup(ws, "exact")
    late = [{"id": "late", "text": BASE + " and more"}, {"id": "late_copy", "text": "  " + BASE + " AND more"}]
    ws.index([write_jsonl(tmp_path / "more.jsonl", late)])
    found = columns(ws)
    assert found["late"][0] == found["late_copy"][0] is not None  # one group
    assert sorted([found["late"][1], found["late_copy"][1]]) == [False, True]
    assert dd.last_run(ws)["rows"] == len(DOCS) + 2 and dd.last_run(ws)["method"] == "exact"


def test_cli_dedup_summary_and_errors(ws):
    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["dedup", "-w", str(ws.root), "--method", "minhash", "--keep", "first", "-q"])
    assert result.exit_code == 0, result.output
    assert "groups" in result.output and "removed" in result.output
    assert kept_in(ws, ["n", "n_near"]) == ["n"]
    bad = runner.invoke(cli, ["dedup", "-w", str(ws.root), "--method", "fuzzy"])
    assert bad.exit_code == 1 and "unknown dedup method" in bad.output


# ---- diff_html -------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


@pytest.mark.parametrize("a, b", [
    ("safe text", "safe text <script>alert(1)</script>"),
    ("<script>alert('a')</script> x", "y"),
    ("<img src=x onerror=alert(1)>\nsame", "<b>bold</b>\nsame"),
])
def test_diff_html_escapes_every_piece_of_text(a, b):
    markup = diff_html(a, b, left_title="<i>kept</i>", right_title="dropped & <u>")
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup and "<i>" not in markup
    parsed = parse(markup)
    assert set(parsed.tags) <= {"div", "pre", "del", "ins"}
    text = "".join(parsed.text)
    assert a in text and b in text  # both documents are all there, as text
    assert "&lt;" in markup


def test_diff_html_marks_what_changed():
    a = "first line\nthe quick brown fox\nlast line\n"
    b = "first line\nthe slow brown fox\nlast line\nan added sentence.\n"
    markup = diff_html(a, b)
    parsed = parse(markup)
    assert parsed.tags.count("del") == 1 and parsed.tags.count("ins") == 2
    assert ">quick</del>" in markup and ">slow</ins>" in markup and "an added sentence." in markup
    same = parse(diff_html(a, a))
    assert "del" not in same.tags and "ins" not in same.tags
    cut = diff_html("x" * 50, "x" * 10, max_chars=20)
    assert "30 more characters not compared" in cut
    with pytest.raises(TypeError):
        diff_html(None, "x")
