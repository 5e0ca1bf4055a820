"""What every `loupe` command shares: the Typer app, the consoles, the error exit and the progress.

Each command module registers on `cli` and imports from here (and from the engine), never
from another command module's registration, so the package has no import cycle.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NoReturn

import typer

from app.cli.terminal import console as _console, line
from indexing.errors import LoupeError
from indexing.workspace.disk import os_error_message
from indexing.progress import Quiet, Reporter, RichReporter

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="Loupe: look at a corpus before you train on it.")
console = _console(stderr=True, soft_wrap=True)  # never break a file:line in two; data is never markup
out = _console()

WorkspaceOption = typer.Option(..., "--workspace", "-w", help="Workspace folder.")
QuietOption = typer.Option(False, "--quiet", "-q", help="No progress bars.")
EngineOption = typer.Option("local", "--engine", help="local (this process) or ray (the pass over the documents on "
                            "a Ray cluster; install with `make setup EXTRAS=cpu,ray`).")
AddressOption = typer.Option(None, "--address", help="With --engine ray: a running cluster (auto, ray://HOST:PORT) "
                             "(none: a local Ray on this machine's CPUs).")


def fail(message: str, code: int = 1) -> NoReturn:
    """`error: MESSAGE` on stderr, then exit with `code` (1: the work failed; 2: a usage error)."""
    console.print(line(("error:", "red"), " ", message))
    raise typer.Exit(code)


@contextmanager
def fails_on(*also: type[BaseException], disk: str | Path | None = None, disk_note: str = "{}") -> Iterator[None]:
    """Turn every `LoupeError` (and the `also` errors) into `fail(str(error))`: the engine's
    errors say what happened and what to do. With `disk`, an OSError too (a full disk, a name
    too long), as what it means at `disk`, put in `disk_note`."""
    try:
        yield
    except (LoupeError, *also) as error:
        fail(str(error))
    except OSError as error:
        if disk is None:
            raise
        fail(disk_note.format(os_error_message(error, disk)))


@contextmanager
def progress(quiet: bool = False) -> Iterator[Reporter]:
    """What a long command reports to: rich bars on stderr, or nothing with --quiet."""
    if quiet:
        yield Quiet()
        return
    with RichReporter(console) as reporter:
        yield reporter


def read_ids(path: Path) -> list[str]:
    """One id per line; blank lines and surrounding spaces ignored."""
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as error:
        fail(f"{path}: {error.strerror or error}")


# ---- a token budget, as `loupe export` and `loupe recipe save` take it ----------------

BudgetTokensOption = typer.Option(None, "--budget", min=0, help="Keep at most this many tokens of what --where "
                                  "keeps (the ids a `loupe budget` with the same settings selects).")
OrderByOption = typer.Option(None, "--order-by", help="With --budget: numeric column to take highest first, e.g. "
                             "score_quality (default: a random order).")
AscendingOption = typer.Option(False, "--ascending", help="With --budget: take the lowest values of --order-by first.")
BalanceByOption = typer.Option(None, "--balance-by", help="With --budget: take groups of this column round-robin.")
MaxShareOption = typer.Option(None, "--max-share", help="With --balance-by: the most a group may hold of the tokens.")
SeedOption = typer.Option(0, "--seed", help="With --budget: seed of the random order when there is no --order-by.")


def budget_of(tokens: int | None, order_by: str | None, ascending: bool, balance_by: str | None,
              max_share: float | None, seed: int):
    """The `indexing.recipes.Budget` of the budget options (None without --budget); a
    usage error (exit 2) for options that need --budget or --balance-by."""
    from indexing.recipes import Budget

    if tokens is None:
        given = [name for name, value in (("--order-by", order_by), ("--ascending", ascending or None),
                                          ("--balance-by", balance_by), ("--max-share", max_share)) if value]
        if given:
            fail(f"{', '.join(given)} shape a token budget; give --budget TOKENS with them", 2)
        return None
    if max_share is not None and balance_by is None:
        fail("--max-share caps a group's share; give --balance-by with it", 2)
    return Budget(tokens, order_by=order_by, descending=not ascending, balance_by=balance_by,
                  max_share=max_share, seed=seed)


def column_list(columns: str | None) -> list[str] | None:
    """`a, b,c` -> ["a", "b", "c"]; None stays None (the default columns)."""
    return [c.strip() for c in columns.split(",") if c.strip()] if columns else None
