"""What the first search needs, loaded in the background from the moment the app opens a workspace.

A search by meaning needs the model (torch's import and the weights: about 8 s on a CPU)
and the FAISS index (seconds at a million rows). Loaded by the first search, they made
the curator wait after the map was already there. Here the model starts loading when the
app first opens a workspace (`loupe app` does that before its server listens), and the
index in a thread, so the map never waits for either and the first search finds them
ready, or waits only for what is left of the load.

The model runs in a child process at the lowest priority (`ModelProcess`): loaded in a
thread, torch's import held the server's interpreter lock and the first page waited for it
(on two cores, server ready to map drawn: 5.7 s without the load, 9.5 s with it in a thread,
6.2 s in a child process; benchmarks/first_search.py, benchmarks/model_gil.py).
Where the machine has the model's ONNX export (made by `loupe index`, or by the first model
process that loaded the model with torch; indexing/vectors/onnx_model.py), the child loads
that instead, without torch, in about 0.6 s of CPU: the first search then answers within half
a second of the map even on two busy cores.
One model process per model name serves every session, and a workspace reopened after a
new `loupe index`; one that failed or stopped is started again at the next search, so a
model fixed while the app runs is picked up without a restart.

The FAISS index is mapped, not read (vector_index.py): at a million rows it opens in 0.08 s
and adds its 1.8 GB to the page cache as searches touch it, not to the server's heap, so it
loads in the background whatever its size (it used to wait for the first search above 512 MB,
which then read it for seconds, to keep the server under the app's 3 GB memory bar).
"""

from __future__ import annotations

import os
import sys
import threading

from indexing import Workspace
from indexing.errors import LoupeError
from indexing.vectors.model_process import ModelProcess
from indexing.vectors.vector_index import CURRENT, VectorIndex

MODELS_KEPT = 2  # model processes alive at once; the least recently asked for is closed

_models: dict[str, ModelProcess] = {}
_models_lock = threading.Lock()


def yield_cpu() -> None:
    """Run this thread (and the threads it starts) at the lowest priority, on Linux, where the
    nice value is a thread's own: the index load must not take the CPU the browser needs to
    draw the first map on a small machine; an idle core still serves it."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass


def model(name: str) -> ModelProcess:
    """The process-wide model `name`, its process started at the first call (or again, when the
    last one failed or stopped); using it waits for the load, and raises a failed load's error."""
    with _models_lock:
        current = _models.pop(name, None)
        if current is None or current.failed:
            if current is not None:
                current.close()
            current = ModelProcess(name)
        _models[name] = current  # now the most recently asked for
        while len(_models) > MODELS_KEPT:
            _models.pop(next(iter(_models))).close()
        return current


def close_models() -> None:
    """Stop every model process (tests; the processes also stop with the server)."""
    with _models_lock:
        while _models:
            _models.popitem()[1].close()


class AppWorkspace(Workspace):
    """A Workspace whose model is the process-wide one (`model`) and whose FAISS index is
    loaded once under a lock, so a search arriving during the background load waits for it
    instead of loading a second copy."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_lock = threading.Lock()

    def embedder(self, device: str = "auto", batch_size: int | None = None) -> ModelProcess:
        return model(self.state.model)

    def query_embedder(self) -> ModelProcess:  # the model process loads the ONNX export where there is one
        return self.embedder()

    def vector_index(self) -> VectorIndex:
        with self._index_lock:
            return super().vector_index()


def _load_index(workspace: AppWorkspace) -> None:
    yield_cpu()
    try:
        workspace.vector_index()
    except (LoupeError, OSError):  # not indexed, damaged: the search that needs it says so
        pass


def open_warm(path: str) -> AppWorkspace:
    """The workspace at `path`, its model and its FAISS index loading in the background."""
    workspace = AppWorkspace.open(path)
    model(workspace.state.model)
    if (workspace.root / "faiss" / CURRENT).is_file():
        threading.Thread(target=_load_index, args=(workspace,), name="loupe-index-load", daemon=True).start()
    return workspace
