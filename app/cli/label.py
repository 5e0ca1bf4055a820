"""`loupe label`: label documents chosen by id or by predicate, in one append-only write."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import WorkspaceOption, cli, console, fail, fails_on, read_ids
from app.cli.terminal import styled
from indexing import Workspace


@cli.command()
def label(
    workspace: Path = WorkspaceOption,
    name: str = typer.Option(..., "--name", help="Label name, e.g. quality."),
    value: Optional[str] = typer.Option(None, "--value", help="Label value, e.g. good."),
    clear: bool = typer.Option(False, "--clear", help="Remove the label instead of setting it."),
    ids_file: Optional[Path] = typer.Option(None, "--ids-file", help="File with one document id per line."),
    where: Optional[str] = typer.Option(None, "--where", help="SQL predicate over docs columns and labels."),
    author: Optional[str] = typer.Option(None, help="Who labels [default: the login name]."),
    settle: bool = typer.Option(False, "--settle", help="Decide where annotators disagree (see `loupe agreement`): "
                                                         "the label becomes --value, what each annotator said stays."),
) -> None:
    """Label documents chosen by id or by predicate (one append-only write)."""

    if (value is None) == (not clear):
        fail("give exactly one of --value V or --clear", 2)
    if settle and clear:
        fail("--settle needs --value V, not --clear", 2)
    if ids_file is None and where is None:
        fail("choose documents with --ids-file F and/or --where PRED", 2)
    # a full disk: the add is one write, so nothing was stored
    with fails_on(disk=workspace, disk_note="nothing labelled: {}"):
        ws = Workspace.open(workspace)
        given = read_ids(ids_file) if ids_file else None
        chosen = ws.select(where, given)
        if given is not None:
            unknown = len(set(given)) - len(chosen) if where is None else 0
            if unknown:
                console.print(styled(f"{unknown:,} id(s) in {ids_file} are not in the workspace; skipped", "yellow"))
        if not chosen:
            fail("no documents match; nothing labelled")
        if settle:
            action = ws.labels.settle(chosen, name, value, author)
        else:
            action = ws.labels.add(chosen, name, None if clear else value, author)
    verb = f"cleared {name} on" if clear else f"{'settled' if settle else 'labelled'} {name}={value}:"
    console.print(f"{verb} {len(chosen):,} documents (action {action})")
