"""`loupe dedup`: find duplicates and write dup_group / dup_keep (see indexing.curate.dedup)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import QuietOption, WorkspaceOption, cli, console, fails_on, progress
from app.cli.terminal import Table, styled
from indexing import Workspace


@cli.command("dedup")
def dedup_command(
    workspace: Path = WorkspaceOption,
    method: str = typer.Option(..., "--method", help="exact (normalised text), minhash (near duplicates) or "
                               "semantic (same meaning, SemDeDup)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="minhash: Jaccard similarity (default "
                                              "0.8); semantic: cosine similarity (default 0.95); exact: ignored."),
    keep: str = typer.Option("longest", "--keep", help="Which document of a group stays: longest, score "
                             "(highest --score-column) or first."),
    score_column: Optional[str] = typer.Option(None, "--score-column", help="Numeric column for --keep score."),
    quiet: bool = QuietOption,
) -> None:
    """Group duplicate documents; `dup_keep = true` then keeps one of each group."""
    from indexing.curate.dedup import dedup

    if method == "exact" and threshold is not None:
        console.print(styled("--threshold is ignored by --method exact", "yellow"))
        threshold = None
    with fails_on(disk=workspace):  # a full disk
        ws = Workspace.open(workspace)
        with progress(quiet) as reporter:
            result = dedup(ws, method, threshold, keep=keep, score_column=score_column, progress=reporter)
    table = Table(title=f"loupe dedup --method {result.method}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    if result.method != "exact":
        table.add_row("threshold", f"{result.threshold:g}")
    rule = result.keep_rule + (f" ({result.score_column})" if result.score_column else "")
    table.add_row("keep", rule)
    table.add_row("documents", f"{result.documents:,}")
    table.add_row("groups", f"{result.groups:,}")
    table.add_row("duplicates (in a group)", f"{result.duplicates:,}")
    table.add_row("removed (dup_keep = false)", f"{result.removed:,}")
    table.add_row("seconds", f"{result.seconds:,.1f}")
    console.print(table)
    console.print("keep one per group with the filter: dup_keep = true")
