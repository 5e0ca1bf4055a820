"""Names given to clusters and topics by hand: kept in the workspace atomically, read
back by a new process, kept when documents are placed, never attached to the clusters of
a new fit. Real LanceDB and FAISS; the hashing test embedder."""

from __future__ import annotations

import json
import os

import pytest

from indexing import ClusterNames, SettingError, Workspace
from indexing.curate.cluster_names import NAMES_FILE, clustering_key
from tests.helpers import write_jsonl


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch):
    monkeypatch.setenv("LOUPE_DEVICE", "cpu")


@pytest.fixture()
def ws(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80], map=False, clusters=9)


def test_rename_is_kept_and_read_back_by_another_process(ws):
    names = ws.rename_cluster(3, "  tax   law ")
    assert names.clusters == {3: "tax law"} and names.topics == {}
    ws.rename_cluster(1, "law and money", topic=True)
    again = Workspace.open(ws.root).cluster_names()
    assert again == ClusterNames({3: "tax law"}, {1: "law and money"}, 0)
    keywords = ws.store.clusters().column("keywords").to_pylist()
    assert again.cluster(3, keywords[3]) == "tax law"
    assert again.cluster(4, keywords[4]) == ", ".join(keywords[4][:3])  # unnamed: its keywords
    stored = json.loads((ws.root / NAMES_FILE).read_text())
    assert stored == {clustering_key(ws.store): {"cluster": {"3": "tax law"}, "topic": {"1": "law and money"}}}


def test_a_blank_name_removes_it(ws):
    ws.rename_cluster(3, "tax law")
    assert ws.rename_cluster(3, "  ").clusters == {}


def test_a_failed_write_leaves_the_names_as_they_were(ws, monkeypatch):
    ws.rename_cluster(3, "tax law")
    before = (ws.root / NAMES_FILE).read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        ws.rename_cluster(3, "something else")
    monkeypatch.undo()
    assert (ws.root / NAMES_FILE).read_bytes() == before
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(f".{NAMES_FILE}")] == []  # no temp file left


@pytest.mark.parametrize("number, name, topic, message", [
    (99, "x", False, "no cluster 99"),
    (7, "x", True, "no topic 7"),
    (1, "x" * 81, False, "at most 80 characters"),
    (1, "two\nlines", False, "one line"),
])
def test_bad_renames_say_what_is_wrong(ws, number, name, topic, message):
    with pytest.raises(SettingError, match=message):
        ws.rename_cluster(number, name, topic=topic)
    assert not (ws.root / NAMES_FILE).exists()


def test_a_damaged_names_file_is_a_setting_error_that_names_it(ws):
    (ws.root / NAMES_FILE).write_text("{not json")
    with pytest.raises(SettingError, match=NAMES_FILE):
        ws.cluster_names()


def test_names_stay_when_documents_are_placed(ws, stdlib_rows, tmp_path):
    ws.rename_cluster(2, "parsers")
    ws.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[80:100])])
    assert ws.cluster_names().clusters == {2: "parsers"}


def test_a_refit_never_attaches_old_names_to_new_clusters(ws):
    ws.rename_cluster(2, "parsers")
    ws.rename_cluster(0, "all code", topic=True)
    report = ws.index(remap=True, clusters=7)
    names = ws.cluster_names()
    assert names.clusters == {} and names.topics == {} and names.stale == 2
    assert any("2 cluster and topic names given by hand belong to the earlier clustering" in n for n in report.notes)
    assert len(json.loads((ws.root / NAMES_FILE).read_text())) == 1  # the old names are kept in the file
