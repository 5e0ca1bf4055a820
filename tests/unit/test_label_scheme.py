"""The label scheme: the names and values the app offers, in WS/label_scheme.json."""

from __future__ import annotations

import json
import os

import pytest

from indexing import Workspace
from indexing.curate.label_scheme import DEFAULT_SCHEME, SCHEME_FILE, load_scheme, parse_values, save_scheme
from indexing.errors import LabelError

DOCS = [{"id": f"d{i}", "text": f"document {i} about dates", "kind": "ab"[i % 2]} for i in range(8)]


@pytest.fixture
def ws(indexed_workspace):
    return indexed_workspace(DOCS)


def _file(ws):
    return ws.root / SCHEME_FILE


def test_default_scheme_is_quality_good_bad_and_writes_nothing(ws):
    assert ws.label_scheme() == {"quality": ["good", "bad"]}
    assert load_scheme(ws.root) == {"quality": ["good", "bad"]}
    assert not _file(ws).exists()
    scheme = ws.label_scheme()
    scheme["quality"].append("meh")  # a caller's copy: the default stays as it was
    scheme["topic"] = ["x"]
    assert ws.label_scheme() == {"quality": ["good", "bad"]} == DEFAULT_SCHEME


def test_saved_scheme_round_trips_through_the_file(ws):
    scheme = {"topic": ["code", "prose", "data"], "quality": ["good", "bad", "meh"]}
    ws.save_label_scheme(scheme)
    assert json.loads(_file(ws).read_text(encoding="utf-8")) == scheme
    loaded = ws.label_scheme()
    assert loaded == scheme and list(loaded) == ["topic", "quality"]  # order kept
    assert Workspace.open(ws.root).label_scheme() == scheme  # another tab reads the same
    ws.save_label_scheme({"language": ["en"]})  # a save replaces the whole scheme
    assert ws.label_scheme() == {"language": ["en"]}


def test_values_are_stripped_and_deduplicated_on_save(ws):
    ws.save_label_scheme({"topic": [" code", "code", "", "  ", "prose "]})
    assert ws.label_scheme() == {"topic": ["code", "prose"]}


def test_labelled_names_and_values_are_merged_in(ws):
    ws.labels.add(["d1", "d2"], "quality", "meh")
    ws.labels.add(["d3"], "quality", "good")
    ws.labels.add(["d4"], "language", "fr")
    assert ws.label_scheme() == {"quality": ["good", "bad", "meh"], "language": ["fr"]}
    ws.save_label_scheme({"language": ["en", "de"]})
    saved = _file(ws).read_text(encoding="utf-8")
    assert ws.label_scheme() == {"language": ["en", "de", "fr"], "quality": ["meh", "good"]}
    assert _file(ws).read_text(encoding="utf-8") == saved  # merging is a read, never a write
    assert load_scheme(ws.root) == {"language": ["en", "de"]}  # without labels: the file alone


@pytest.mark.parametrize(
    "name", ["text", "id", "tokens", "kind", "Text", "doc_id", "cluster", "vector", "select", "and", "null",
             "1abc", "has space", "a-b", "", "é"]
)
def test_bad_names_are_refused_and_the_file_is_unchanged(ws, name):
    ws.save_label_scheme({"topic": ["code"]})
    before = _file(ws).read_bytes()
    with pytest.raises(LabelError):
        ws.save_label_scheme({"topic": ["code", "prose"], name: ["x"]})  # a good name first
    assert _file(ws).read_bytes() == before
    assert ws.label_scheme() == {"topic": ["code"]}


@pytest.mark.parametrize("values", [[], [""], ["  ", ""]])
def test_a_name_without_values_is_refused(ws, values):
    with pytest.raises(LabelError, match="at least one value"):
        ws.save_label_scheme({"quality": ["good"], "topic": values})
    assert not _file(ws).exists()
    assert ws.label_scheme() == {"quality": ["good", "bad"]}


def test_save_is_atomic_a_failed_write_keeps_the_old_file(ws, monkeypatch):
    ws.save_label_scheme({"topic": ["code"]})
    before = _file(ws).read_bytes()

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        save_scheme(ws.root, {"topic": ["prose"]}, ws.labels)
    monkeypatch.undo()
    assert _file(ws).read_bytes() == before
    assert sorted(p.name for p in ws.root.iterdir() if "label_scheme" in p.name) == [SCHEME_FILE]  # no temp left


@pytest.mark.parametrize(
    "text, values",
    [("good, bad,  meh", ["good", "bad", "meh"]), ("a,a , b", ["a", "b"]), (" , ,", []), ("", []),
     ("one", ["one"]), ("with space, x", ["with space", "x"])],
)
def test_parse_values(text, values):
    assert parse_values(text) == values


def test_default_names_that_clash_with_a_docs_column_are_not_offered(indexed_workspace):
    ws = indexed_workspace([{"id": f"d{i}", "text": f"doc {i}", "quality": i} for i in range(6)])
    assert "quality" not in ws.label_scheme()
    ws.save_label_scheme({**ws.label_scheme(), "topic": ["code"]})  # what the app's editor saves
    assert ws.label_scheme() == {"topic": ["code"]}


@pytest.mark.parametrize("content", ['["quality", "good"]', '{"quality": "good"}', '{"quality": [1, 2]}',
                                     '{"quality": ["good", ', "\udcff".encode("utf-8", "surrogateescape")],
                         ids=["list", "values-not-a-list", "values-not-strings", "truncated", "not-utf8"])
def test_damaged_scheme_file_is_a_label_error_naming_the_file(ws, content):
    """issue 8, defect 11: a label_scheme.json holding a list gave an AttributeError
    traceback (and a string of values became one button per letter); every damaged
    file is one LabelError naming the file and what to do."""
    if isinstance(content, bytes):
        _file(ws).write_bytes(content)
    else:
        _file(ws).write_text(content, encoding="utf-8")
    with pytest.raises(LabelError) as info:
        ws.label_scheme()
    assert str(_file(ws)) in str(info.value) and "delete" in str(info.value)
    ws.save_label_scheme({"topic": ["code"]})  # saving a new scheme repairs it
    assert ws.label_scheme() == {"topic": ["code"]}
