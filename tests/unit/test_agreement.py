"""Unit tests for several annotators: labels per author, Cohen's kappa, disagreements and settling."""

from __future__ import annotations

import pytest

from indexing.curate.agreement import agreement, author_counts, cohen_kappa, disagreements
from indexing.errors import LabelError

DOCS = [{"id": f"d{i}", "text": f"document {i} about parsing dates " * 3} for i in range(12)]
ALICE = "ggggggbbbb"  # d0..d9
BOB = "ggggbbbbbg"  # agrees on d0-d3 and d6-d8; differs on d4, d5, d9
WORD = {"g": "good", "b": "bad"}


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def _label(ws, author: str, values: str) -> None:
    for letter, value in WORD.items():
        ids = [f"d{i}" for i, v in enumerate(values) if v == letter]
        ws.labels.add(ids, "quality", value, author=author)


@pytest.fixture
def two(ws):
    _label(ws, "alice", ALICE)
    _label(ws, "bob", BOB)  # bob labels last: his values are the documents' current labels
    return ws


def test_kappa_of_a_case_worked_by_hand():
    # observed 7/10; alice good 0.6 bad 0.4, bob 0.5 / 0.5: chance 0.6*0.5 + 0.4*0.5 = 0.5;
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    assert cohen_kappa([WORD[v] for v in ALICE], [WORD[v] for v in BOB]) == pytest.approx(0.4)
    assert cohen_kappa(["good"] * 3, ["good"] * 3) is None  # chance agreement is 1: undefined
    assert cohen_kappa([], []) is None


def test_agreement_per_pair_of_authors(two):
    two.labels.add(["d0", "d1", "d2"], "quality", "good", author="carol")
    two.labels.add(["d0"], "topic", "dates", author="alice")  # a name only one author used: no pair
    pairs = {a.authors: a for a in agreement(two.labels)}
    assert set(pairs) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}
    ab = pairs[("alice", "bob")]
    assert (ab.name, ab.documents, ab.agreed) == ("quality", 10, 7)
    assert ab.kappa == pytest.approx(0.4)
    assert (pairs[("alice", "carol")].documents, pairs[("alice", "carol")].kappa) == (3, None)


def test_counts_per_author_and_value(two):
    counts = author_counts(two.labels)
    assert counts == {"quality": {"alice": {"good": 6, "bad": 4}, "bob": {"bad": 5, "good": 5}}}
    assert author_counts(two.labels, "topic") == {}


def test_disagreements_list_each_authors_value_and_the_current_label(two):
    found = disagreements(two.labels, "quality")
    assert [d.doc_id for d in found] == ["d4", "d5", "d9"]
    assert found[0].votes == {"alice": "good", "bob": "bad"}
    assert found[0].current == "bad"  # the latest event: bob's


def test_settling_decides_the_label_but_keeps_what_each_author_said(two):
    two.labels.settle(["d4"], "quality", "good", author="carol")
    assert [d.doc_id for d in disagreements(two.labels)] == ["d5", "d9"]
    current = dict(zip(*(two.labels.current("quality")[c].to_pylist() for c in ("doc_id", "value"))))
    assert current["d4"] == "good"
    assert agreement(two.labels)[0].kappa == pytest.approx(0.4)  # the settlement is no annotator's vote
    assert "carol" not in author_counts(two.labels)["quality"]


def test_labelling_again_or_undoing_the_settlement_reopens_it(two):
    two.labels.settle(["d4", "d5"], "quality", "good", author="carol")
    assert [d.doc_id for d in disagreements(two.labels)] == ["d9"]
    two.labels.add(["d4"], "quality", "bad", author="bob")  # bob insists
    assert [d.doc_id for d in disagreements(two.labels)] == ["d4", "d9"]
    two.labels.undo(author="carol")  # the settlement of d5 (and d4) is reverted
    assert [d.doc_id for d in disagreements(two.labels)] == ["d4", "d5", "d9"]


def test_an_authors_undo_restores_their_own_previous_label(two):
    two.labels.add(["d0"], "quality", "bad", author="alice")
    two.labels.add(["d1"], "quality", "bad", author="bob")
    assert two.labels.undo(author="alice") is not None
    mine = two.labels.by_author("quality")
    votes = {(d, a): v for d, a, v in zip(*(mine[c].to_pylist() for c in ("doc_id", "author", "value")))}
    assert votes[("d0", "alice")] == "good" and votes[("d1", "bob")] == "bad"
    two.labels.add(["d2"], "quality", None, author="alice")  # a cleared label is no vote
    assert ("d2", "alice") not in {(d, a) for d, a in zip(*(two.labels.by_author()[c].to_pylist()
                                                            for c in ("doc_id", "author")))}


def test_settling_needs_a_value(two):
    with pytest.raises(LabelError, match="settling needs a value"):
        two.labels.settle(["d4"], "quality", None)


def test_the_cli_labels_as_an_author_settles_and_shows_agreement(two, tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    ids = tmp_path / "ids.txt"
    ids.write_text("d9\n")
    w = ["-w", str(two.root)]
    done = runner.invoke(cli, ["label", *w, "--name", "quality", "--value", "good", "--ids-file", str(ids),
                               "--author", "carol[/x]"])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(cli, ["agreement", *w, "quality"])
    assert shown.exit_code == 0, shown.output
    assert "alice and bob" in shown.output and "0.400" in shown.output
    assert "carol[/x]" in shown.output  # an author is data: printed as it is
    assert "3 disagreements to settle" in shown.output
    settled = runner.invoke(cli, ["label", *w, "--name", "quality", "--value", "bad", "--ids-file", str(ids),
                                  "--settle"])
    assert settled.exit_code == 0 and "settled quality=bad" in settled.output
    assert "2 disagreements to settle" in runner.invoke(cli, ["agreement", *w]).output
    assert runner.invoke(cli, ["agreement", *w, "topic"]).output.strip() == "no labels named topic"
