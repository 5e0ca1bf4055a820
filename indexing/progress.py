"""Progress reporting that the engine can call without knowing who is watching.

The engine only calls `progress.stage(name, total)` and `advance(n)`; the terminal
gets rich bars with rate and ETA, a notebook or test gets nothing, and the app can
plug in its own implementation.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

Advance = Callable[[int], None]


class Reporter(Protocol):
    def stage(self, name: str, total: int | None = None, unit: str = "docs"): ...


class Quiet:
    """Reports nothing: the default for the Python API."""

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "docs") -> Iterator[Advance]:
        yield lambda n=1: None


class _Rate(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        return Text(f"{speed:,.0f} {unit}/s" if speed else "", style="progress.data.speed")


class RichReporter:
    """One rich bar per stage, with count, rate, elapsed time and ETA."""

    def __init__(self, console: Console | None = None):
        self.progress = Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            _Rate(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )

    def __enter__(self) -> "RichReporter":
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "docs") -> Iterator[Advance]:
        task = self.progress.add_task(name, total=total, unit=unit)
        yield lambda n=1: self.progress.advance(task, n)
        if total is not None:
            self.progress.update(task, completed=total)
        self.progress.stop_task(task)
