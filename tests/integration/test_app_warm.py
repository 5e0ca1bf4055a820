"""No waiting (issue 12, point 3): the model and the FAISS index load in the background from
the moment the app opens a workspace, the map never waits for them and the first search does
not load them again; the Filters tab's histograms cost nothing until the tab draws them."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import run_app, open_group, open_tab

from indexing.errors import WorkspaceError

pytestmark = pytest.mark.integration


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80])


def _run(monkeypatch, path) -> AppTest:
    return run_app(monkeypatch, path)


@pytest.fixture()
def held_model(monkeypatch):
    """The model load, held until `release` is set; `loads` counts the loads started."""
    from app import warm
    from indexing.vectors.embedder import load_embedder

    release, loads = threading.Event(), []

    def load(name, *args, **kwargs):
        loads.append(name)
        assert release.wait(60), "the test never released the model load"
        return load_embedder(name, *args, **kwargs)

    monkeypatch.setattr(warm, "load_embedder", load)
    warm.model.clear()  # a model cached by an earlier test would not load here
    yield release, loads
    release.set()
    warm.model.clear()


def test_preload_starts_the_model_the_map_does_not_wait_and_the_first_search_reuses_it(monkeypatch, workspace,
                                                                                         held_model):
    from app import data, warm
    from app.preload import preload

    release, loads = held_model
    path = str(workspace.root)
    preload(path)  # returns while the model is still loading: it was not waited for
    assert loads == [workspace.state.model] and not release.is_set()
    app = _run(monkeypatch, path)  # the first page, the map drawn, the model still held
    assert not app.exception and "_drawn" in app.session_state
    assert loads == [workspace.state.model]
    release.set()
    app.sidebar.text_input(key="query").set_value("read a configuration file").run()
    assert not app.exception
    assert [s.value for s in app.subheader if "results for" in s.value] == ["20 results for “read a configuration file”"]
    assert loads == [workspace.state.model]  # the search used the model preload started
    expected = workspace.search("read a configuration file", k=20, columns=["id"])["id"].to_pylist()
    shown = [d.value for d in app.dataframe if "score" in d.value.columns][0]["id"].tolist()
    assert shown == expected
    opened = data.open_workspace(path)
    assert opened.embedder() is warm.model(workspace.state.model)


def test_a_workspace_opened_again_shares_the_model_and_loads_its_index_once(workspace, held_model):
    from app import warm

    release, loads = held_model
    first, second = warm.open_warm(str(workspace.root)), warm.open_warm(str(workspace.root))
    release.set()
    assert first.embedder() is second.embedder() and loads == [workspace.state.model]
    index = first.vector_index()
    assert first.vector_index() is index  # loaded by the background thread, then kept
    assert first.search("a path on disk", k=5)["id"].to_pylist() == \
        workspace.search("a path on disk", k=5)["id"].to_pylist()


def test_an_index_over_the_preload_bound_waits_for_the_first_search(monkeypatch, workspace, held_model):
    """At a million rows the HNSW index holds 1.8 GB: loaded at the start, it put the app's
    server over its 3 GB memory bar (3.55 GB before any page) for a curator who never searches."""
    from app import warm

    release, _ = held_model
    release.set()
    size = warm.index_bytes(workspace.root)
    assert size and size > 0
    loaded = []
    original = warm.AppWorkspace.vector_index

    def counted(self):
        loaded.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(warm.AppWorkspace, "vector_index", counted)
    monkeypatch.setattr(warm, "PRELOAD_INDEX_MAX_BYTES", size - 1)
    opened = warm.open_warm(str(workspace.root))
    for thread in threading.enumerate():
        if thread.name == "loupe-index-load":
            thread.join(30)
    assert loaded == []  # not loaded in the background
    assert opened.search("a path on disk", k=5)["id"].to_pylist() == \
        workspace.search("a path on disk", k=5)["id"].to_pylist()
    assert loaded == [threading.current_thread().name]  # the first search loaded it
    monkeypatch.setattr(warm, "PRELOAD_INDEX_MAX_BYTES", size)
    warm.open_warm(str(workspace.root))
    for thread in threading.enumerate():
        if thread.name == "loupe-index-load":
            thread.join(30)
    assert "loupe-index-load" in loaded[1:]  # at the bound: loaded in the background


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_the_background_load_runs_at_the_lowest_priority(monkeypatch, workspace):
    """On two cores the background load slowed the first page (the browser drew the map 10.5 s
    after the server was ready instead of 4.4 s): it yields the CPU; the server's own threads do not."""
    from app import warm

    seen, own = [], os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def load(name, *args, **kwargs):
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        raise WorkspaceError("not loaded in this test")

    monkeypatch.setattr(warm, "load_embedder", load)
    warm.model.clear()
    try:
        with pytest.raises(WorkspaceError):
            warm.model(workspace.state.model).encode(["x"])
    finally:
        warm.model.clear()
    assert seen == [("loupe-model-load", 19)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


def test_a_model_that_fails_to_load_is_an_error_at_the_search_not_at_the_map(monkeypatch, workspace):
    from app import warm
    from indexing.errors import WorkspaceError

    def load(name, *args, **kwargs):
        raise WorkspaceError(f"model {name} is not installed")

    monkeypatch.setattr(warm, "load_embedder", load)
    warm.model.clear()
    try:
        app = _run(monkeypatch, workspace.root)
        assert not app.exception and "_drawn" in app.session_state
        with pytest.raises(WorkspaceError, match="is not installed"):
            warm.open_warm(str(workspace.root)).search("anything")
    finally:
        warm.model.clear()


def test_histograms_are_made_only_for_the_columns_the_filters_tab_draws(monkeypatch, workspace):
    """The first page (the map) made a histogram and a bin index of every numeric column;
    now none, and the Filters tab makes those of its open group only."""
    from app import data
    from app.tabs.filters import column_groups

    made = []
    real = data.histogram
    monkeypatch.setattr(data, "histogram", lambda values, *a, **k: (made.append(len(values)), real(values, *a, **k))[1])
    app = _run(monkeypatch, workspace.root)
    assert not app.exception and "_drawn" in app.session_state
    assert made == []
    open_tab(app, "Filters")
    groups = column_groups(data.read_corpus(workspace).filterable)
    assert len(made) == len(groups["Signals"]) == len(app.get("plotly_chart"))
    others = [title for title in groups if title != "Signals"]
    open_group(app, others[0])
    assert len(made) == len(groups["Signals"]) + len(groups[others[0]])


def test_lazy_histograms_and_bins_are_what_the_eager_ones_were(workspace):
    from app import data
    from indexing.curate.thresholds import bin_index, histogram

    corpus = data.read_corpus(workspace)
    assert set(corpus.histograms) == set(corpus.bins_of) == set(corpus.values_of)
    assert "no such column" not in corpus.histograms and len(corpus.histograms) == len(corpus.values_of)
    for name, values in corpus.values_of.items():
        counts, edges = histogram(values)
        assert np.array_equal(corpus.histograms[name][0], counts) and np.array_equal(corpus.histograms[name][1], edges)
        index, bins = corpus.bins_of[name]
        assert bins == len(counts) and np.array_equal(index, bin_index(values, edges))
    with pytest.raises(KeyError):
        corpus.histograms["no such column"]
