"""Unit tests for indexing.curate.labels: append-only label events, current values, undo, counts."""

from __future__ import annotations


import pyarrow as pa
import pytest

from indexing import Workspace
from indexing.curate import labels as labels_module
from indexing.curate.labels import Labels
from indexing.errors import LabelError
from indexing.workspace.store import LABELS

DOCS = [
    {"id": f"d{i}", "text": f"document {i} " + "about parsing dates " * (i + 1), "kind": "ab"[i % 2]}
    for i in range(12)
]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def current(labels: Labels, name: str | None = None) -> dict[tuple[str, str], str]:
    table = labels.current(name)
    return {(d, n): v for d, n, v in zip(*(table[c].to_pylist() for c in ("doc_id", "name", "value")))}


def version(ws) -> int:
    return ws.store.table(LABELS).version


def test_add_records_current_labels_with_author(ws):
    labels = ws.labels
    action = labels.add(["d1", "d2"], "quality", "good", author="alice")
    assert isinstance(action, str) and action
    table = labels.current()
    assert table.column_names == ["doc_id", "name", "value", "author", "at"]
    assert current(labels) == {("d1", "quality"): "good", ("d2", "quality"): "good"}
    assert set(table["author"].to_pylist()) == {"alice"}
    assert labels.current("topic").num_rows == 0
    assert labels.names() == ["quality"]


def test_default_author_is_the_login_name(ws, monkeypatch):
    monkeypatch.setattr(labels_module.getpass, "getuser", lambda: "curator7")
    ws.labels.add("d3", "quality", "good")  # one id as a plain string
    assert ws.labels.current()["author"].to_pylist() == ["curator7"]
    assert ws.labels.current()["doc_id"].to_pylist() == ["d3"]


def test_latest_event_wins_and_none_clears(ws):
    labels = ws.labels
    labels.add(["d1", "d2"], "quality", "good")
    labels.add(["d1"], "quality", "bad")
    labels.add(["d1"], "topic", "dates")
    assert current(labels) == {("d1", "quality"): "bad", ("d2", "quality"): "good", ("d1", "topic"): "dates"}
    labels.add(["d1"], "quality", None)
    assert current(labels) == {("d2", "quality"): "good", ("d1", "topic"): "dates"}
    assert current(labels, "quality") == {("d2", "quality"): "good"}


def test_latest_is_the_order_of_writes_even_when_the_clock_stands_still(ws, monkeypatch):
    monkeypatch.setattr(labels_module, "_now_us", lambda: 1_000_000)
    labels = ws.labels
    labels.add(["d1"], "quality", "good")
    labels.add(["d1"], "quality", "bad")
    labels.add(["d1"], "quality", "ok")
    assert current(labels) == {("d1", "quality"): "ok"}
    stamps = labels.history("d1")["at"].cast(pa.int64()).to_pylist()
    assert stamps == sorted(set(stamps)) and len(stamps) == 3


def test_bulk_label_is_one_lance_version(ws):
    labels = ws.labels
    labels.add(["d0"], "quality", "good")  # the table exists before we count
    before = version(ws)
    ids = [f"d{i}" for i in range(12)]
    action = labels.add(ids, "quality", "bad")
    assert version(ws) == before + 1
    events = ws.store.table(LABELS).to_arrow()
    assert events.filter(pa.compute.equal(events["action"], action)).num_rows == 12
    assert len(ws.store.table(LABELS).to_lance().get_fragments()) == 2
    labels.undo()
    assert version(ws) == before + 2


def test_repeated_ids_in_one_add_are_one_event(ws):
    ws.labels.add(["d1", "d2", "d1", "d2"], "quality", "good")
    assert ws.store.table(LABELS).count_rows() == 2
    ws.labels.add(pa.array(["d5", "d6"]), "quality", "bad")
    assert current(ws.labels, "quality")[("d6", "quality")] == "bad"


def test_history_is_every_event_of_the_doc_oldest_first(ws):
    labels = ws.labels
    labels.add(["d1", "d2"], "quality", "good")
    labels.add(["d1"], "topic", "dates")
    labels.add(["d1"], "quality", "bad")
    labels.add(["d1"], "quality", None)
    labels.undo()
    history = labels.history("d1")
    assert history.column_names == ["doc_id", "name", "value", "author", "at", "action", "undoes", "settles"]
    assert set(history["doc_id"].to_pylist()) == {"d1"}
    assert list(zip(history["name"].to_pylist(), history["value"].to_pylist())) == [
        ("quality", "good"), ("topic", "dates"), ("quality", "bad"), ("quality", None), ("quality", "bad"),
    ]
    stamps = history["at"].to_pylist()
    assert stamps == sorted(stamps)
    assert history["undoes"].to_pylist()[:4] == [None] * 4
    assert history["undoes"][4].as_py() == history["action"][3].as_py()


def test_history_of_an_id_with_quotes_and_backslashes(ws):
    odd = "dir\\name's:1"
    ws.labels.add([odd, "d1"], "quality", "good")
    assert ws.labels.history(odd)["doc_id"].to_pylist() == [odd]


def test_undo_restores_previous_values_then_the_action_before(ws):
    labels = ws.labels
    first = labels.add(["d1", "d2"], "quality", "good")
    second = labels.add(["d2", "d3"], "quality", "bad")
    undo = labels.undo()
    assert undo not in (None, first, second)
    # d2 back to good, d3 back to no label, d1 untouched
    assert current(labels) == {("d1", "quality"): "good", ("d2", "quality"): "good"}
    events = ws.store.table(LABELS).to_arrow()
    assert set(events.filter(pa.compute.equal(events["action"], undo))["undoes"].to_pylist()) == {second}
    # an undo is not undone by undo: the second one reverts the first action
    labels.undo()
    assert current(labels) == {}
    assert labels.undo() is None
    assert ws.store.table(LABELS).count_rows() == 4 + 2 + 2  # nothing overwritten


def test_undo_restores_a_label_the_action_cleared(ws):
    labels = ws.labels
    labels.add(["d4"], "topic", "dates")
    labels.add(["d4"], "topic", None)
    labels.undo()
    assert current(labels) == {("d4", "topic"): "dates"}


def test_undo_with_nothing_to_undo_writes_nothing(ws):
    labels = ws.labels
    assert labels.undo() is None
    labels.add(["d1"], "quality", "good", author="alice")
    before = version(ws)
    assert labels.undo(author="bob") is None
    assert version(ws) == before


def test_undo_by_author_only_touches_that_authors_actions(ws):
    labels = ws.labels
    labels.add(["d1"], "quality", "good", author="alice")
    labels.add(["d2"], "quality", "bad", author="bob")
    labels.add(["d3"], "quality", "ok", author="alice")
    labels.undo(author="alice")
    assert current(labels) == {("d1", "quality"): "good", ("d2", "quality"): "bad"}
    labels.undo(author="alice")
    assert current(labels) == {("d2", "quality"): "bad"}
    assert labels.undo(author="alice") is None
    undo_authors = set(labels.history("d1")["author"].to_pylist()) | set(labels.history("d3")["author"].to_pylist())
    assert undo_authors == {"alice"}
    labels.undo(author="bob")
    assert current(labels) == {}


def test_two_labels_objects_see_each_others_writes(ws):
    first = ws.labels
    second = Workspace.open(ws.root).labels  # another tab: its own Store and connection
    assert current(first) == {} and current(second) == {}
    first.add(["d1"], "quality", "good")
    assert current(second) == {("d1", "quality"): "good"}
    second.add(["d1"], "quality", "bad")
    assert current(first) == {("d1", "quality"): "bad"}
    assert first.counts() == {"quality": {"bad": 1}}
    first.undo()  # reverts the other tab's action: it is the latest
    assert current(second) == {("d1", "quality"): "good"}


@pytest.mark.parametrize(
    "name", ["", "1abc", "has space", "a-b", "é", "tokens", "text", "id", "vector", "cluster", "kind",
             "Tokens", "doc_id", "and", None, 3]
)
def test_invalid_or_reserved_names_are_rejected_and_nothing_is_written(ws, name):
    labels = ws.labels
    labels.add(["d1"], "quality", "good")
    before = version(ws)
    with pytest.raises(LabelError):
        labels.add(["d1"], name, "x")
    assert version(ws) == before


@pytest.mark.parametrize(
    "ids, value", [([], "good"), ([None], "good"), ([""], "good"), (["d1"], ""), (["d1"], 3)]
)
def test_empty_ids_and_bad_values_are_rejected(ws, ids, value):
    with pytest.raises(LabelError):
        ws.labels.add(ids, "quality", value)
    assert ws.store.table(LABELS).count_rows() == 0


def test_explicit_reserved_names_add_to_the_docs_columns(ws):
    labels = Labels(ws.store, reserved={"score"})
    with pytest.raises(LabelError, match="'Score'"):
        labels.add(["d1"], "Score", "x")
    with pytest.raises(LabelError, match="'kind'"):
        labels.add(["d1"], "kind", "x")
    labels.add(["d1"], "kind_label", "x")
    assert labels.names() == ["kind_label"]


def test_pivot_has_one_column_per_name(ws):
    labels = ws.labels
    labels.add(["d1", "d2"], "quality", "good")
    labels.add(["d2", "d3"], "topic", "dates")
    labels.add(["d3"], "language", "en")
    labels.add(["d3"], "language", None)  # language has no current label left, but stays a column
    pivot = labels.pivot()
    assert pivot.schema == pa.schema(
        [("doc_id", pa.string()), ("language", pa.string()), ("quality", pa.string()), ("topic", pa.string())]
    )
    assert pivot.to_pylist() == [
        {"doc_id": "d1", "language": None, "quality": "good", "topic": None},
        {"doc_id": "d2", "language": None, "quality": "good", "topic": "dates"},
        {"doc_id": "d3", "language": None, "quality": None, "topic": "dates"},
    ]
    only = labels.pivot(["topic"])
    assert only.column_names == ["doc_id", "topic"] and only["doc_id"].to_pylist() == ["d2", "d3"]


def test_pivot_of_an_empty_table(ws):
    assert ws.labels.pivot().schema == pa.schema([("doc_id", pa.string())])
    assert ws.labels.pivot().num_rows == 0


def test_counts_are_current_labels_by_value(ws):
    labels = ws.labels
    assert labels.counts() == {} and ws.info()["labels"] == {}
    labels.add(["d1", "d2", "d3"], "quality", "good")
    labels.add(["d3", "d4"], "quality", "bad")
    labels.add(["d5", "d6", "d7"], "quality", "bad")
    labels.add(["d7"], "quality", None)
    labels.add(["d1"], "topic", "dates")
    expected = {"quality": {"bad": 4, "good": 2}, "topic": {"dates": 1}}
    assert labels.counts() == expected
    assert list(labels.counts()["quality"]) == ["bad", "good"]  # most first
    assert ws.info()["labels"] == expected


def test_compaction_keeps_every_event(ws):
    labels = ws.labels
    labels.compact_after = 4
    for i in range(7):
        labels.add([f"d{i}"], "quality", "good" if i % 2 else "bad")
    labels.add(["d0"], "quality", "ok")
    fragments = len(ws.store.table(LABELS).to_lance().get_fragments())
    assert fragments <= 4  # 8 single-event writes would be 8 fragments uncompacted
    assert ws.store.table(LABELS).count_rows() == 8
    assert labels.counts() == {"quality": {"good": 3, "bad": 3, "ok": 1}}
    assert labels.history("d0")["value"].to_pylist() == ["bad", "ok"]
    labels.undo()
    assert current(labels, "quality")[("d0", "quality")] == "bad"


def test_a_labels_table_from_before_undo_gains_its_columns(ws):
    """Workspaces made before `action`/`undoes` existed keep working (their events can't be undone)."""
    old_schema = pa.schema([f for f in ws.store.table(LABELS).schema if f.name not in ("action", "undoes")])
    ws.store.db.drop_table(LABELS)
    ws.store.db.create_table(LABELS, data=pa.Table.from_pylist(
        [{"doc_id": "d1", "name": "quality", "value": "good", "author": "old", "at": 1}], schema=old_schema))
    labels = ws.labels
    assert current(labels) == {("d1", "quality"): "good"}
    labels.add(["d1", "d2"], "quality", "bad")
    assert {"action", "undoes"} <= set(ws.store.table(LABELS).schema.names)
    assert current(labels) == {("d1", "quality"): "bad", ("d2", "quality"): "bad"}
    labels.undo()
    assert current(labels) == {("d1", "quality"): "good"}
    assert labels.undo() is None


LABEL_MANY = """
import sys
from indexing import Workspace
from indexing.curate.labels import Labels
Labels.compact_after = 8  # compact often: every compaction may meet the other process's
ws, who, n = Workspace.open(sys.argv[1]), sys.argv[2], int(sys.argv[3])
errors = 0
for i in range(n):
    try:
        if i % 25 == 24:
            ws.labels.undo(author=who)
        else:
            ws.labels.add([f"d{i % 12}"], "quality", f"{who}-{i}", author=who)
    except Exception as error:  # noqa: BLE001 - counted, the test wants none
        errors += 1
        print(type(error).__name__, str(error)[:200], file=sys.stderr)
print(errors)
"""


def test_two_processes_labelling_at_once_get_no_errors_and_lose_nothing(ws):
    """issue 8, defect 10: two processes labelling one workspace at once got spurious
    `Retryable commit conflict` errors (from the compaction after an add whose events
    were already stored); conflicts are retried inside the engine, a compaction never
    fails a stored label, and every event of both is kept."""
    import subprocess
    import sys
    from pathlib import Path

    n = 200
    runs = [subprocess.Popen([sys.executable, "-c", LABEL_MANY, str(ws.root), who, str(n)], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])
            for who in ("alice", "bob")]
    results = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 0, err
        assert out.strip() == "0", err
    events = ws.labels._events()
    undos, adds = n // 25, n - n // 25
    assert events.num_rows == 2 * (adds + undos)
    for who in ("alice", "bob"):
        mine = events.filter(pa.compute.equal(events["author"], who))
        assert mine.num_rows == adds + undos
        assert len(mine["undoes"].drop_null().unique()) == undos


def test_an_undo_never_overwrites_a_colleague_s_later_label(ws):
    """Alice labels d1, Bob relabels it, Alice undoes her action: Bob's label stands (the undo
    restored the value from before Alice's action over Bob's, a later decision lost)."""
    labels = ws.labels
    labels.add(["d1", "d2"], "quality", "good", author="alice")
    labels.add(["d1"], "quality", "bad", author="bob")
    assert labels.undo(author="alice") is not None
    assert current(labels) == {("d1", "quality"): "bad"}  # d2 reverted, d1 is Bob's
    # the history's undo events say what each label is after the undo, not a value that never applied
    assert labels.history("d1")["value"].to_pylist() == ["good", "bad", "bad"]
    assert labels.history("d2")["value"].to_pylist() == ["good", None]
    assert labels.undo(author="bob") is not None  # and Bob's own undo leaves no trace of Alice's
    assert current(labels) == {}


def test_undoing_every_action_of_a_chain_in_any_order_leaves_what_remains(ws):
    labels = ws.labels
    labels.add(["d1"], "quality", "good", author="alice")
    labels.add(["d1"], "quality", "bad", author="alice")
    labels.add(["d1"], "quality", "ok", author="bob")
    labels.undo(author="alice")  # her "bad": Bob's "ok" stands
    assert current(labels) == {("d1", "quality"): "ok"}
    labels.undo(author="bob")  # his "ok": what remains is Alice's first label
    assert current(labels) == {("d1", "quality"): "good"}
    labels.undo(author="alice")
    assert current(labels) == {}
    settled = labels.settle(["d1"], "quality", "good", author="carol")
    labels.add(["d1"], "quality", "bad", author="alice")
    labels.undo(author="carol")  # the settlement goes; Alice's later label stands
    assert current(labels) == {("d1", "quality"): "bad"} and settled
    assert labels.latest("quality")["settles"].to_pylist() == [None]


def test_undo_over_a_label_from_before_actions_restores_it_in_the_current_labels_and_the_history(ws):
    """A labels table written by a Loupe from before actions: its events have no action id."""
    from datetime import datetime, timezone

    old = pa.schema([("doc_id", pa.string()), ("name", pa.string()), ("value", pa.string()),
                     ("author", pa.string()), ("at", pa.timestamp("us", tz="UTC"))])
    ws.store.db.create_table(LABELS, data=pa.table({"doc_id": ["d1"], "name": ["quality"], "value": ["good"],
                                                    "author": ["alice"],
                                                    "at": [datetime(2024, 1, 1, tzinfo=timezone.utc)]}, schema=old),
                             mode="overwrite")
    labels = Workspace.open(ws.root).labels
    labels.add(["d1"], "quality", "bad", author="bob")
    assert labels.undo(author="bob") is not None
    assert current(labels) == {("d1", "quality"): "good"}
    assert labels.history("d1")["value"].to_pylist() == ["good", "bad", "good"]
