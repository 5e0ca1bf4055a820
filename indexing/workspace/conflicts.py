"""Retrying LanceDB's commit conflicts, so two writers of one table never see them.

LanceDB commits optimistically: when two processes (two app sessions, the app and
`loupe label`) commit to one table at once, the later commit may be refused with
"Retryable commit conflict ... Please retry." (two compactions, mostly). A refused
commit wrote nothing, so doing it again on the newest version is safe; a few tries
with a short, jittered, growing pause settle any realistic contention.
"""

from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

ATTEMPTS = 8
FIRST_PAUSE = 0.01  # seconds; doubled after each conflict (about 2.5 s in all, at most)

T = TypeVar("T")


def is_commit_conflict(error: BaseException) -> bool:
    """True for LanceDB's commit-conflict errors (a RuntimeError whose text says so)."""
    text = str(error).lower()
    return "commit conflict" in text or "commitconflict" in text


def retry_conflicts(commit: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`commit()`, run again after a commit conflict (at most `attempts` times in all);
    any other error, or the last conflict, is raised. `commit` should open the table
    itself, so that each try starts from the newest version."""
    pause = FIRST_PAUSE
    for attempt in range(1, attempts + 1):
        try:
            return commit()
        except Exception as error:  # noqa: BLE001 - only conflicts are retried, the rest re-raised
            if attempt == attempts or not is_commit_conflict(error):
                raise
        time.sleep(pause * (0.5 + random.random()))
        pause *= 2
    raise AssertionError("unreachable")


__all__ = ["ATTEMPTS", "is_commit_conflict", "retry_conflicts"]
