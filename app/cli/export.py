"""`loupe export`: write the selected documents, with their manifest, atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import (
    AscendingOption, BalanceByOption, BudgetTokensOption, MaxShareOption, OrderByOption, SeedOption, WorkspaceOption,
    budget_of, cli, column_list, console, fails_on, progress, read_ids,
)
from indexing import Workspace


@cli.command("export")
def export_command(
    workspace: Path = WorkspaceOption,
    out: Path = typer.Option(..., "--out", help="Folder to create (must not exist)."),
    where: Optional[str] = typer.Option(None, "--where", help="SQL predicate over docs columns and labels."),
    ids_file: Optional[Path] = typer.Option(None, "--ids-file", help="Only these ids (one per line)."),
    export_format: str = typer.Option("jsonl", "--format", help="jsonl, parquet or hf."),
    columns: Optional[str] = typer.Option(None, help="Comma-separated columns [default: text, fields, signals]."),
    shard_rows: Optional[int] = typer.Option(None, min=1, help="At most N rows per file."),
    include_removed: bool = typer.Option(False, "--include-removed", help="Also write the rest under removed/."),
    tokens: Optional[int] = BudgetTokensOption,
    order_by: Optional[str] = OrderByOption,
    ascending: bool = AscendingOption,
    balance_by: Optional[str] = BalanceByOption,
    max_share: Optional[float] = MaxShareOption,
    seed: int = SeedOption,
) -> None:
    """Write the selected documents, with manifest.json and the recipe that reproduces them, atomically."""
    from indexing.exports.export import export

    budget = budget_of(tokens, order_by, ascending, balance_by, max_share, seed)
    # a full disk, a name too long: the export is atomic, so nothing was written
    with fails_on(FileExistsError, disk=out, disk_note="nothing exported: {}"):
        ws = Workspace.open(workspace)
        with progress() as reporter:
            result = export(
                ws, out.name, where=where, ids=read_ids(ids_file) if ids_file else None, format=export_format,
                columns=column_list(columns), shard_rows=shard_rows, include_removed=include_removed, out=out,
                progress=reporter, budget=budget,
            )
    kept = result.manifest["kept"]
    console.print(f"exported {kept['documents']:,} documents ({kept['tokens']:,} tokens) to {result.path}; "
                  f"{result.removed:,} removed")
    if result.manifest.get("recipe"):
        console.print(f"the recipe that reproduces it: {result.path / result.manifest['recipe']}")
    else:
        console.print(f"no recipe written: {result.manifest.get('recipe_problem')}")
