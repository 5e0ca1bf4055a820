"""Every error Loupe means a person to read, under one base.

A `LoupeError`'s message says what happened, naming the file, line, column or setting,
and what to do; the command line prints it and exits, the app shows it, and neither ever
shows a traceback for one. Anything else that escapes is a bug.

`LoupeError` is a `ValueError`: each of these is about a value someone gave (a source, a
field, a setting, a predicate, a workspace, a label), and code written against the
ValueErrors Loupe raised before keeps catching them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class LoupeError(ValueError):
    """The base of every error meant for the user."""


class WorkspaceError(LoupeError):
    """A workspace that cannot be opened or used as asked (damaged, foreign, missing)."""


class NotIndexedError(WorkspaceError):
    """A workspace that lacks what a command needs because `loupe index` has not made it yet."""

    def __init__(self, root: str | Path, lacks: str = "documents", then: str = "first"):
        self.root, self.lacks = str(root), lacks
        super().__init__(f"{root} has no {lacks} yet; run `loupe index -w {root}` {then}")


class WorkspaceBusy(LoupeError):
    """Another writer (an index, a dedup, a training run) holds the workspace."""


class ColumnOwnershipError(LoupeError):
    """A write that would replace a column holding a curator's source field."""


@dataclass
class SourceError(LoupeError):
    """A source that cannot be read at all (missing path, unknown format, permission)."""

    path: str
    reason: str
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class IngestError(LoupeError):
    """Raised under on_error='fail' at the first bad record or source."""


class SelectionError(LoupeError):
    """A predicate that does not parse, names an unknown column, cannot be evaluated,
    or exceeds the bounds of `check_predicate`."""


class SignalsError(LoupeError):
    """A signals run that cannot start (an unknown rule suite, nothing indexed)."""


class LanguageModelMissing(LoupeError):
    """The package that ships the language-identification model is not installed."""


class LabelError(LoupeError):
    """A label call that cannot be recorded (bad name, value or ids)."""


class ClassifierError(LoupeError):
    """A classifier that cannot be trained, saved, loaded or used as asked."""


class DedupError(LoupeError):
    """A dedup that cannot run: bad method, threshold or keep rule, or nothing to compare."""


class SettingError(LoupeError):
    """A setting given to an export, a budget or a dedup that is out of range or unknown."""


class RecipeError(LoupeError):
    """A recipe that cannot be read, saved or applied as written (unknown key or column,
    missing classifier weights, another model, a newer schema)."""


class DiffError(LoupeError):
    """A folder given to `loupe diff` that is not a readable export or applied output
    (missing, no manifest.json, a damaged manifest or data file, no id column)."""


class DependencyMissing(LoupeError):
    """A package an optional part of Loupe needs is not installed; the message says which extra installs it."""
