"""`loupe diff A B`: what run B (an export or an applied output) adds to and removes from run A, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from app.cli.common import cli, console, fails_on, out, progress
from app.cli.terminal import Table


def _tokens(tokens: int | None) -> str:
    return "? tokens" if tokens is None else f"{tokens:,} tokens"


def _signed(documents: int, tokens: int | None, sign: str) -> str:
    return f"{sign}{documents:,} documents ({sign}{_tokens(tokens)})" if documents else "none"


def group_table(title: str, header: str, groups: list[dict], reasons: bool = False) -> Table:
    """One row per group: its documents, its tokens and a few example ids (with the failed value for a reason)."""
    table = Table(title=title, title_justify="left")
    table.add_column(header)
    table.add_column("documents", justify="right")
    table.add_column("tokens", justify="right")
    table.add_column("examples")
    for group in groups:
        examples = group["examples"]
        if reasons and group.get("values"):
            examples = [doc if value is None else f"{doc} ({value})" for doc, value in zip(examples, group["values"])]
        table.add_row("(none)" if group["group"] is None else str(group["group"]), f"{group['documents']:,}",
                      "?" if group["tokens"] is None else f"{group['tokens']:,}", ", ".join(examples))
    return table


def print_summary(result: dict) -> None:
    """The first line (A -> B), then one table per breakdown that has rows."""
    a, b = result["a"], result["b"]
    out.print(f"A: {a['documents']:,} kept ({_tokens(a['tokens'])}) -> B: {b['documents']:,} kept ({_tokens(b['tokens'])})")
    unchanged = result["unchanged"]
    out.print(f"unchanged {unchanged['documents']:,} documents; "
              f"removed {_signed(result['removed']['documents'], result['removed']['tokens'], '-')}; "
              f"added {_signed(result['added']['documents'], result['added']['tokens'], '+')}")
    sections = (
        ("removed", "by_reason", "removed (kept in A, not in B), by why B dropped them", "reason (in B)"),
        ("removed", "by_cluster", "removed, by cluster", "cluster"),
        ("removed", "by_lang", "removed, by language", "lang"),
        ("added", "by_reason", "added (kept in B, not in A), by why A dropped them", "reason (in A)"),
        ("added", "by_cluster", "added, by cluster", "cluster"),
        ("added", "by_lang", "added, by language", "lang"),
    )
    for change, breakdown, title, header in sections:
        groups = result[change][breakdown]
        if groups:
            out.print(group_table(title, header, groups, reasons=breakdown == "by_reason"))


@cli.command("diff")
def diff_command(
    a: Path = typer.Argument(..., help="Run A: an export folder or an applied output (`loupe apply --out`)."),
    b: Path = typer.Argument(..., help="Run B, compared with A."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    examples: int = typer.Option(3, "--examples", min=0, help="Example ids shown per group."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Compare two runs: documents added and removed, and why (by reason, cluster, language), tokens either way."""
    from indexing.exports.diff import diff

    with fails_on():
        with progress(quiet or as_json) as reporter:
            result = diff(a, b, examples=examples, progress=reporter).as_dict()
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return
    print_summary(result)
    if not result["removed"]["documents"] and not result["added"]["documents"]:
        console.print("A and B keep the same documents")
