"""What the first search needs, loaded in the background from the moment the app opens a workspace.

A search by meaning needs the model (torch's import and the weights: about 8 s on a CPU)
and the FAISS index (seconds at a million rows). Loaded by the first search, they made
the curator wait after the map was already there. Here the model starts loading in a
thread of its own when the app first opens a workspace (`loupe app` does that before its
server listens), and the index in another, so the map never waits for either and the
first search finds them ready, or waits only for what is left of the load.

One model per model name serves the whole process: every session, and a workspace
reopened after a new `loupe index`, use the same instance (`st.cache_resource`).

An index bigger than `PRELOAD_INDEX_MAX_BYTES` is left to the first search: at a million
rows HNSW holds 1.8 GB, which would put a page nobody searches from over the app's 3 GB
memory bar; reading it takes a few seconds at that first search instead.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import streamlit as st

from indexing import Workspace
from indexing.errors import LoupeError
from indexing.vectors.embedder import Embedder, load_embedder
from indexing.vectors.loading import BackgroundModel
from indexing.vectors.vector_index import VectorIndex

PRELOAD_INDEX_MAX_BYTES = 512 * 2**20  # larger FAISS indexes load at the first search, not at the start
WARM_TEXT = "warm up"  # one encode after the load: the first real query skips torch's first-call costs


def yield_cpu() -> None:
    """Run this thread (and the threads it starts) at the lowest priority, on Linux, where the
    nice value is a thread's own: on two cores the load took the CPU the browser needed to draw
    the first map (server ready to map drawn 4.4 s -> 10.5 s); an idle core still serves it."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass


def _load_and_warm(name: str) -> Embedder:
    yield_cpu()
    embedder = load_embedder(name)
    embedder.encode([WARM_TEXT])
    return embedder


@st.cache_resource(show_spinner=False, max_entries=2)
def model(name: str) -> BackgroundModel:
    """The model `name`, loading in a background thread from the first call; an attribute
    access (`encode`) waits for the load. A failed load is raised at that use."""
    return BackgroundModel(lambda: _load_and_warm(name))


class AppWorkspace(Workspace):
    """A Workspace whose model is the process-wide one (`model`) and whose FAISS index is
    loaded once under a lock, so a search arriving during the background load waits for it
    instead of loading a second copy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_lock = threading.Lock()

    def embedder(self, device: str = "auto", batch_size: int | None = None) -> Embedder:
        return model(self.state.model)

    def vector_index(self) -> VectorIndex:
        with self._index_lock:
            return super().vector_index()


def _load_index(workspace: AppWorkspace) -> None:
    yield_cpu()
    try:
        workspace.vector_index()
    except (LoupeError, OSError):  # not indexed, damaged: the search that needs it says so
        pass


def index_bytes(root: Path) -> int | None:
    """The size of the current FAISS index file, or None when there is none (yet)."""
    try:
        build = json.loads((root / "faiss" / "current.json").read_text())["build"]
        return (root / "faiss" / build / "index.faiss").stat().st_size
    except (OSError, ValueError, KeyError, TypeError):
        return None


def open_warm(path: str) -> AppWorkspace:
    """The workspace at `path`, its model (and a FAISS index up to `PRELOAD_INDEX_MAX_BYTES`)
    loading in the background."""
    workspace = AppWorkspace.open(path)
    model(workspace.state.model)
    size = index_bytes(workspace.root)
    if size is not None and size <= PRELOAD_INDEX_MAX_BYTES:
        threading.Thread(target=_load_index, args=(workspace,), name="loupe-index-load", daemon=True).start()
    return workspace
