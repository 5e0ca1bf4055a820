"""The engine's progress protocol (indexing.progress.Reporter) as an `st.progress` bar
(its text is Markdown: the stage name goes through `md`)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from components.text import md
from indexing.progress import Advance


class StreamlitReporter:
    """One bar per stage, updated at most every 1% so a million rows send ~100 messages."""

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "docs") -> Iterator[Advance]:
        name = md(name)
        bar = st.progress(0.0, text=f"{name}…")
        done, shown = 0, -1

        def advance(n: int = 1) -> None:
            nonlocal done, shown
            done += n
            if total:
                percent = min(100, done * 100 // total)
                if percent != shown:
                    shown = percent
                    bar.progress(percent / 100, text=f"{name}: {done:,} of {total:,} {unit}")

        yield advance
        bar.empty()
