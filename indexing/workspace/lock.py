"""One writer per workspace: an advisory lock held while `index` runs.

Two `loupe index` runs on one workspace would both resume from the same point and
store the same rows twice; the lock makes the second one stop with a clear error.
The lock dies with its process, so a kill -9 never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from indexing.errors import WorkspaceBusy

LOCK_FILE = ".lock"


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    path = Path(root) / LOCK_FILE
    with open(path, "a+") as handle:
        # A reader's `is_busy` holds a shared lock for an instant; retry briefly so that
        # only a real writer makes us give up.
        for attempt in range(20):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WorkspaceBusy(f"{root} is being indexed by {holder}; wait for it to finish")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_busy(root: Path) -> bool:
    """True while some process holds the writer lock (the app shows 'still indexing')."""
    path = Path(root) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
