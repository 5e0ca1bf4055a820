"""No waiting (issue 12, point 3): the model and the FAISS index load in the background from
the moment the app opens a workspace, the map never waits for them and the first search does
not load them again; the Filters tab's histograms cost nothing until the tab draws them."""

from __future__ import annotations

import json
import os
import sys
import threading

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import run_app, open_group, open_tab

from indexing.errors import WorkspaceError
from indexing.vectors.embedder import load_embedder

pytestmark = pytest.mark.integration


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80])


def _run(monkeypatch, path) -> AppTest:
    return run_app(monkeypatch, path)


@pytest.fixture()
def held_model(monkeypatch):
    """The model's first use, held until `release` is set (its process loads meanwhile);
    `loads` counts the model processes started."""
    from app import warm
    from indexing.vectors.model_process import ModelProcess

    release, loads = threading.Event(), []

    class Held(ModelProcess):
        def __init__(self, name, *args, **kwargs):
            loads.append(name)
            super().__init__(name, *args, **kwargs)

        def _ready(self):
            assert release.wait(60), "the test never released the model"
            return super()._ready()

    monkeypatch.setattr(warm, "ModelProcess", Held)
    warm.close_models()  # a model kept by an earlier test would not start here
    yield release, loads
    release.set()
    warm.close_models()


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
    assert opened.embedder().pid != os.getpid()


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


def test_the_index_loads_in_the_background_whatever_its_size_and_the_first_search_reuses_it(
        monkeypatch, workspace, held_model):
    """The index is mapped, not read (vector_index.map_flags), so even a million rows' 1.8 GB
    loads at the start; it used to wait for the first search above 512 MB, which then read it."""
    from app import warm

    release, _ = held_model
    release.set()
    loaded = []
    original = warm.AppWorkspace.vector_index

    def counted(self):
        if self._index is None:
            loaded.append(threading.current_thread().name)
        return original(self)

    monkeypatch.setattr(warm.AppWorkspace, "vector_index", counted)
    opened = warm.open_warm(str(workspace.root))
    for thread in threading.enumerate():
        if thread.name == "loupe-index-load":
            thread.join(30)
    assert loaded == ["loupe-index-load"]
    assert opened.search("a path on disk", k=5)["id"].to_pylist() == \
        workspace.search("a path on disk", k=5)["id"].to_pylist()
    assert loaded == ["loupe-index-load"]  # the first search did not load it again


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="priorities as Linux keeps them")
def test_the_model_loads_in_a_child_process_at_the_lowest_priority(workspace):
    """On two cores the load slowed the first page: in a thread of the server at nice 19 the map
    came 8.0 s after the server was ready instead of 4.4 s, as torch's import held the
    interpreter's lock. In a process of its own it takes only the CPU nobody else wants."""
    from app import warm

    warm.close_models()
    try:
        embedder = warm.model(workspace.state.model)
        assert embedder.pid != os.getpid()
        assert os.getpriority(os.PRIO_PROCESS, embedder.pid) == 19
        assert os.getpriority(os.PRIO_PROCESS, 0) == 0 or os.getpriority(os.PRIO_PROCESS, 0) != 19
        assert warm.model(workspace.state.model) is embedder  # one process serves every session
        local = load_embedder(workspace.state.model)
        texts = ["a path on disk", "read a configuration file", ""]
        assert np.array_equal(embedder.encode(texts), local.encode(texts))
        assert embedder.count_tokens(texts) == local.count_tokens(texts)
        assert (embedder.name, embedder.dimension, embedder.fingerprint) == (local.name, local.dimension,
                                                                               local.fingerprint)
    finally:
        warm.close_models()


def test_the_server_never_imports_torch(indexed_workspace):
    """The point of the child process: a search by meaning with the real model, in a fresh
    interpreter as `loupe app` runs, leaves torch out of the server."""
    texts = ["bees make honey in the hive", "the tax office sends a letter", "a recipe for bread with yeast",
             "honeybees dance to show where flowers are"]
    root = indexed_workspace([{"id": f"d{i}", "text": t} for i, t in enumerate(texts)], model=None, map=False).root
    script = f"""
import sys
from app import warm
opened = warm.open_warm({str(root)!r})
hits = opened.search("insects that make honey", k=2)["id"].to_pylist()
assert sorted(hits) == ["d0", "d3"], hits
assert "torch" not in sys.modules and "sentence_transformers" not in sys.modules
print("ok")
"""
    import subprocess

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]


def test_a_model_that_fails_to_load_is_an_error_at_the_search_not_at_the_map(monkeypatch, workspace, tmp_path):
    """...and a model mended while the app runs is loaded at the next search: a failed load
    was kept for the life of the process, so mending it meant restarting the app."""
    from app import warm
    from indexing.vectors.embedder import model_location
    from indexing.workspace.manifest import STATE_FILE

    missing = tmp_path / "model"  # the workspace names a model folder that is not there
    state = json.loads((workspace.root / STATE_FILE).read_text())
    (workspace.root / STATE_FILE).write_text(json.dumps({**state, "model": str(missing)}))
    warm.close_models()
    try:
        app = _run(monkeypatch, workspace.root)  # the page starts the load, which fails in the child
        assert not app.exception and "_drawn" in app.session_state
        opened = warm.open_warm(str(workspace.root))
        with pytest.raises(WorkspaceError, match="could not be loaded"):
            opened.search("anything")
        app.sidebar.text_input(key="query").set_value("anything").run()
        assert not app.exception and any("could not be loaded" in e.value for e in app.error)
        missing.symlink_to(model_location("all-MiniLM-L6-v2")[1])  # the curator installs it
        vector = opened.embedder().encode(["bees make honey"])
        assert np.allclose(vector, load_embedder("all-MiniLM-L6-v2").encode(["bees make honey"]), atol=1e-6)
    finally:
        warm.close_models()


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
