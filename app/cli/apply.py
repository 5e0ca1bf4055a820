"""`loupe apply`: a recipe over any number of documents, streaming and resumable (indexing.apply)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from app.cli.common import AddressOption, EngineOption, QuietOption, cli, console, fails_on, progress
from app.cli.terminal import Table


@cli.command("apply")
def apply_command(
    recipe: Path = typer.Argument(..., help="The recipe (.yaml) to apply."),
    sources: List[str] = typer.Argument(..., help="Files or folders to read (JSONL, Parquet, CSV, text, HF dataset)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder to write (new, or an unfinished run to "
                                       "resume)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N records (a quick look)."),
    sample: Optional[int] = typer.Option(None, "--sample", min=1, help="N records at random (fixed by --seed)."),
    seed: int = typer.Option(0, "--seed", help="Seed of --sample."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be kept and removed; write nothing."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size", min=1, help="Good records per chunk [default: "
                                             "1024, as loupe index]; the workspace's own gives identical vectors."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda (for a recipe that embeds)."),
    engine: str = EngineOption,
    address: Optional[str] = AddressOption,
    quiet: bool = QuietOption,
) -> None:
    """Apply a recipe: kept documents in shards, removed ones under removed/ with their reason."""
    from indexing.apply import apply_recipe

    if limit is not None and sample is not None:
        console.print("error: use either --limit or --sample, not both")
        raise typer.Exit(2)
    if out is None and not dry_run:
        console.print("error: give --out DIR (or --dry-run to count only)")
        raise typer.Exit(2)
    with fails_on(disk=out or Path.cwd(), disk_note="stopped: {}; run the same command again to resume"):
        with progress(quiet) as reporter:
            result = apply_recipe(recipe, sources, out, limit=limit, sample=sample, seed=seed, dry_run=dry_run,
                                  chunk_size=chunk_size, device=device, progress=reporter,
                                  engine=engine, address=address)
    _summary(result.manifest, dry_run)
    if result.out is not None:
        console.print(f"wrote {result.out} (kept documents in part-*, removed ones with their reason in removed/)")


def _summary(manifest: dict, dry_run: bool) -> None:
    kept, removed, read = manifest["kept"], manifest["removed"], manifest["read"]
    title = "loupe apply --dry-run (nothing written)" if dry_run else "loupe apply"
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("documents", justify="right")
    table.add_column("tokens", justify="right")
    table.add_row("read", f"{read['documents']:,}", "")
    table.add_row("kept", f"{kept['documents']:,}", f"{kept['tokens']:,}")
    for reason, counts in removed["by_reason"].items():
        table.add_row(f"removed: {reason}", f"{counts['documents']:,}", f"{counts['tokens']:,}")
    for reason, count in read["rejected"].items():
        table.add_row(f"rejected: {reason}", f"{count:,}", "")
    console.print(table)
