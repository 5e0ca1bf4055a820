"""The `loupe` command line: one module per command group, all registered on `common.cli`.

Importing this package imports each command module once, which registers its commands;
the order below is the order `loupe --help` lists them. `loupe` is `app.cli:main`.
"""

from __future__ import annotations

from app.cli.common import cli, console, out

from app.cli import index  # noqa: F401  index, info
from app.cli import label  # noqa: F401  label
from app.cli import agreement  # noqa: F401  agreement
from app.cli import export  # noqa: F401  export
from app.cli import serve  # noqa: F401  app, demo
from app.cli import classify  # noqa: F401  train, fasttext
from app.cli import dedup  # noqa: F401  dedup
from app.cli import budget  # noqa: F401  budget
from app.cli import signals  # noqa: F401  signals
from app.cli import recipe  # noqa: F401  recipe save, show, check
from app.cli import apply  # noqa: F401  apply
from app.cli import diff  # noqa: F401  diff

__all__ = ["cli", "console", "main", "out"]


def main() -> None:
    """The `loupe` console script."""
    cli()
