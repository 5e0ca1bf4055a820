"""The model loads in a background thread while the sources are read.

Loading a sentence-transformers model costs seconds (torch's import, the weights),
and opening, counting, reading, validating and scoring the rules of the first chunk
need none of it. `BackgroundModel` starts the load at once and stands in for the
embedder: the first use of any of its attributes (the first chunk's token count, in
the reading thread) waits for the load, then runs `check` once (the workspace's
dimension check) before anything is stored. An error in the load or the check is
raised at that first use, in the thread that touched it, like a load done up front.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from indexing.vectors.embedder import Embedder


class BackgroundModel:
    """An embedder loading in a thread; attribute access waits for it."""

    def __init__(self, load: Callable[[], Embedder], check: Callable[[Embedder], None] = lambda e: None):
        self._check = check
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._error: BaseException | None = None
        self._checked = False
        self.seconds = 0.0  # how long the load took (not how long anyone waited)
        self._thread = threading.Thread(target=self._load, args=(load,), name="loupe-model-load", daemon=True)
        self._thread.start()

    def _load(self, load: Callable[[], Embedder]) -> None:
        started = time.perf_counter()
        try:
            self._embedder = load()
        except BaseException as error:  # noqa: BLE001 - raised where the model is first used
            self._error = error
        self.seconds = time.perf_counter() - started

    def result(self) -> Embedder:
        """The loaded and checked embedder (waits for it)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        with self._lock:
            if not self._checked:
                self._check(self._embedder)
                self._checked = True
        return self._embedder

    def __getattr__(self, name: str):
        if name.startswith("_"):  # not the embedder's: avoid waiting inside copy/pickle probes
            raise AttributeError(name)
        return getattr(self.result(), name)
