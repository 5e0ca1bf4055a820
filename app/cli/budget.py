"""`loupe budget`: the documents that fill a token budget, and the mix before and after."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import WorkspaceOption, cli, console, fail, fails_on, out, read_ids
from app.cli.terminal import Table, styled
from indexing import Workspace


def mix_table(title: str, before: dict[str, float], after: dict[str, float],
              names: dict[str, str] | None = None) -> Table:
    """One group per row: its share of the candidates' tokens and of the selection's."""
    table = Table(title=title, title_justify="left")
    table.add_column("group")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for group, share in before.items():
        label = f"{group}  {names[group]}" if names and group in names else group
        table.add_row(label, f"{share:.1%}", f"{after.get(group, 0.0):.1%}")
    return table


def cluster_names(ws: Workspace) -> dict[str, str]:
    """Cluster number (as text) -> its name given by hand, else its first three keywords."""
    clusters, names = ws.store.clusters().to_pydict(), ws.cluster_names()
    return {str(c): names.cluster(c, words) for c, words in zip(clusters["cluster"], clusters["keywords"])}


def write_ids(path: Path, ids: list[str]) -> None:
    """One id per line, written to a temporary file and renamed into place."""
    from indexing.workspace.atomic import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "".join(f"{doc_id}\n" for doc_id in ids))


@cli.command()
def budget(
    workspace: Path = WorkspaceOption,
    tokens: int = typer.Option(..., "--tokens", min=0, help="The token budget: at most this many tokens are selected."),
    where: Optional[str] = typer.Option(None, "--where", help="Candidates: SQL predicate over docs columns and labels."),
    ids_file: Optional[Path] = typer.Option(None, "--ids-file", help="Candidates: only these ids (one per line)."),
    order_by: Optional[str] = typer.Option(None, "--order-by", help="Numeric column to take highest first, e.g. score_quality (default: a random order)."),
    ascending: bool = typer.Option(False, "--ascending", help="Take the lowest values of --order-by first."),
    balance_by: Optional[str] = typer.Option(None, "--balance-by", help="Take groups of this column round-robin: cluster or lang."),
    max_share: Optional[float] = typer.Option(None, "--max-share", help="Most a group may hold of the selected tokens (default: 2 / number of groups)."),
    seed: int = typer.Option(0, help="Seed of the random order when there is no --order-by."),
    out_ids: Optional[Path] = typer.Option(None, "--out-ids", help="Write the selected ids here, one per line."),
) -> None:
    """Select the documents that fit a token budget, best first or balanced across groups."""
    from indexing.curate.budget import select_budget

    if max_share is not None and balance_by is None:
        fail("--max-share caps a group's share; give --balance-by with it", 2)
    with fails_on():
        ws = Workspace.open(workspace)
        chosen = select_budget(
            ws, tokens, where=where, ids=read_ids(ids_file) if ids_file else None, order_by=order_by,
            descending=not ascending, balance_by=balance_by, max_share=max_share, seed=seed,
        )
    names = cluster_names(ws) if "cluster" in chosen.mix_before else {}
    for column in chosen.mix_before:
        out.print(mix_table(f"{column}: share of tokens", chosen.mix_before[column], chosen.mix_after[column],
                            names if column == "cluster" else None))
    console.print(
        f"selected {chosen.docs:,} of {chosen.candidates:,} documents: {chosen.tokens:,} of "
        f"{chosen.candidate_tokens:,} tokens, budget {chosen.budget_tokens:,}")
    if chosen.max_share is not None:
        console.print(f"balanced by {balance_by}, no group above {chosen.max_share:.1%} of the selected tokens")
        reachable = min(chosen.budget_tokens, chosen.candidate_tokens)
        if chosen.max_share < 1.0 and chosen.tokens < 0.9 * reachable:
            console.print(styled("the cap leaves part of the budget unused; a larger --max-share fills more", "yellow"))
    if out_ids is not None:
        try:
            write_ids(out_ids, chosen.ids)
        except OSError as error:
            fail(f"{out_ids}: {error.strerror or error}")
        console.print(f"ids written to {out_ids} (use with `loupe label --ids-file`)")
