"""`loupe agreement`: labels per author, Cohen's kappa per pair of authors, disagreements to settle."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import WorkspaceOption, cli, console, fails_on
from app.cli.terminal import Table
from indexing import Workspace
from indexing.curate import agreement as agree


@cli.command("agreement")
def agreement_command(
    workspace: Path = WorkspaceOption,
    name: Optional[str] = typer.Argument(None, help="Label name [default: every name]."),
    show: int = typer.Option(20, "--show", min=0, help="Disagreements to list (0: only how many)."),
) -> None:
    """Labels per author, agreement between authors (Cohen's kappa), and the disagreements to settle."""

    with fails_on():
        ws = Workspace.open(workspace)
        counts = agree.author_counts(ws.labels, name)
        pairs = agree.agreement(ws.labels, name)
        found = agree.disagreements(ws.labels, name)
    if not counts:
        console.print(f"no labels{'' if name is None else ' named ' + name}")
        return
    table = Table(title="labels per author", title_justify="left")
    for header in ("label", "author", "value"):
        table.add_column(header)
    table.add_column("documents", justify="right")
    for label, by_author in counts.items():
        for author, values in by_author.items():
            for value, count in values.items():
                table.add_row(label, author, value, f"{count:,}")
    console.print(table)
    if pairs:
        table = Table(title="agreement (documents both authors labelled)", title_justify="left")
        for header in ("label", "authors", "both labelled", "agreed", "Cohen's kappa"):
            table.add_column(header, justify="right" if header in ("both labelled", "agreed", "Cohen's kappa") else "left")
        for p in pairs:
            kappa = "n/a" if p.kappa is None else f"{p.kappa:.3f}"
            table.add_row(p.name, " and ".join(p.authors), f"{p.documents:,}", f"{p.agreed / p.documents:.0%}", kappa)
        console.print(table)
    else:
        console.print("no two authors labelled the same document")
    console.print(f"{len(found):,} disagreement{'s' * (len(found) != 1)} to settle (in the app's Label tab)")
    if found and show:
        table = Table(title=None)
        for header in ("document", "label", "votes", "current label"):
            table.add_column(header)
        for d in found[:show]:
            votes = ", ".join(f"{author}: {value}" for author, value in d.votes.items())
            table.add_row(d.doc_id, d.name, votes, d.current or "(cleared)")
        console.print(table)
