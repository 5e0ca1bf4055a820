"""What the CLI prints with: consoles and tables that show data as text, never as markup.

Rich parses `[red]...[/red]` markup and `:smile:` emoji codes in every plain string it
prints, table cells and titles included, so a label value `[/x]` ended a command in a
MarkupError and `[red]ok[/red]` printed as `ok`. Here nothing is parsed: the consoles
have markup, emoji and highlighting off, table cells and titles become `Text`, and the
few styled words get their style from `styled` / `line`, not from markup in a string.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text


def console(stderr: bool = False, **options) -> Console:
    """A console on which a printed string is shown exactly as it is."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False, **options)


def styled(text: str, style: str) -> Text:
    """`text` in `style`, without reading anything inside `text` as markup."""
    return Text(text, style=style)


def line(*parts: str | tuple[str, str]) -> Text:
    """One line from plain strings and (text, style) pairs; no part is parsed."""
    return Text.assemble(*parts)


def _text(value, style: str = ""):
    return Text(value, style=style) if isinstance(value, str) else value


class Table(RichTable):
    """A rich Table whose string title, headers and cells are plain text, whatever console prints it."""

    def __init__(self, *headers, title=None, caption=None, **options):
        super().__init__(*map(_text, headers), title=_text(title, options.get("title_style") or "table.title"),
                         caption=_text(caption, options.get("caption_style") or "table.caption"), **options)

    def add_column(self, header="", *args, **options) -> None:
        super().add_column(_text(header), *args, **options)

    def add_row(self, *cells, **options) -> None:
        super().add_row(*map(_text, cells), **options)
