"""`loupe signals`: rule suites (Gopher, C4, FineWeb) and language for an existing workspace."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from app.cli.common import QuietOption, WorkspaceOption, cli, console, fails_on, progress
from app.cli.terminal import Table
from indexing import Workspace
from indexing.signals.rules import SUITES
from indexing.signals.rules.hits import PresetHits


def _bounds(low: float | None, high: float | None) -> str:
    def number(value: float) -> str:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"

    if low is not None and high is not None:
        return f"{number(low)} to {number(high)}"
    if low is not None:
        return f">= {number(low)}"
    return f"<= {number(high)}" if high is not None else "-"


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def _preset_table(hits: PresetHits, suite_columns: tuple[str, ...]) -> Table:
    table = Table(title=f"preset {hits.preset}: what its thresholds remove of {hits.documents:,} documents",
                  title_justify="left")
    table.add_column("column", style="bold")
    table.add_column("kept", justify="right")
    table.add_column("removed", justify="right")
    table.add_column("hit rate", justify="right")
    thresholded = {h.rule.column for h in hits.rules}
    for hit in hits.rules:
        table.add_row(hit.rule.column, _bounds(hit.rule.low, hit.rule.high), f"{hit.removed:,}",
                      _share(hit.removed, hits.documents))
    for column in suite_columns:
        if column not in thresholded:
            table.add_row(column, "no page threshold", "-", "-", style="dim")
    table.add_section()
    table.add_row("by any rule", "", f"{hits.removed:,}", _share(hits.removed, hits.documents))
    table.add_row("by 2 or more rules", "", f"{hits.removed_by_several:,}",
                  _share(hits.removed_by_several, hits.documents))
    return table


@cli.command("signals")
def signals_command(
    workspace: Path = WorkspaceOption,
    suite: Optional[List[str]] = typer.Option(None, "--suite", help=f"Rule suite to compute, repeatable: "
                                              f"{', '.join(SUITES)} [default: all]."),
    language: bool = typer.Option(True, "--language/--no-language", help="Also compute lang and lang_score."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
    quiet: bool = QuietOption,
) -> None:
    """Compute rule-suite signal columns (and the language) for every document of a workspace."""
    from indexing.signals.compute import compute_signals

    with fails_on(disk=workspace):  # a full disk
        ws = Workspace.open(workspace)
        with progress(quiet or as_json) as reporter:
            result = compute_signals(ws, suite or None, language, progress=reporter)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    for hits, name in zip(result.presets, result.suites):
        console.print(_preset_table(hits, SUITES[name].columns))
    if result.language:
        top = list(result.languages.items())
        shown = ", ".join(f"{lang} {count:,}" for lang, count in top[:8])
        more = f" and {len(top) - 8} more" if len(top) > 8 else ""
        console.print(f"languages: {shown}{more}")
    timing = ", ".join(f"{stage} {seconds:,.1f} s" for stage, seconds in result.seconds.items())
    console.print(f"wrote {len(result.columns)} columns for {result.rows:,} documents ({timing}); "
                  "the app's Filters tab shows them")
