"""`loupe recipe save|show|check`: a curation as a recipe file, explained and validated.

    loupe recipe save -w WS --where "tokens >= 20 AND score_quality >= 0.8" --budget 5000000 -o clean.yaml
    loupe recipe save --from-export WS/exports/clean-v1 -o clean.yaml
    loupe recipe show clean.yaml          # the recipe in words, in the order `loupe apply` runs it
    loupe recipe check clean.yaml         # "ok: ..." or every problem, exit 1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from app.cli.common import (
    AscendingOption, BalanceByOption, BudgetTokensOption, MaxShareOption, OrderByOption, SeedOption, budget_of, cli,
    column_list, console, fail, fails_on, out,
)
from indexing import Workspace

recipe_cli = typer.Typer(no_args_is_help=True, help="Save a curation as a recipe, explain it, check it.")
cli.add_typer(recipe_cli, name="recipe")


@recipe_cli.command("save")
def save_command(
    output_path: Path = typer.Option(..., "--out", "-o", help="The recipe file to write (NAME.yaml; its assets go "
                                     "to NAME.assets/ beside it)."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="Workspace folder (with --where; "
                                             "with --from-export, default: the export's workspace)."),
    where: Optional[str] = typer.Option(None, "--where", help="The filter: SQL predicate over docs columns and "
                                        "labels; each top-level AND is one step."),
    from_export: Optional[Path] = typer.Option(None, "--from-export", help="The recipe of this export folder."),
    tokens: Optional[int] = BudgetTokensOption,
    order_by: Optional[str] = OrderByOption,
    ascending: bool = AscendingOption,
    balance_by: Optional[str] = BalanceByOption,
    max_share: Optional[float] = MaxShareOption,
    seed: int = SeedOption,
    output_format: str = typer.Option("jsonl", "--format", help="Output of `loupe apply`: jsonl, parquet or hf."),
    columns: Optional[str] = typer.Option(None, "--columns", help="Output columns, comma-separated [default: all "
                                          "but Loupe's internal ones]."),
    shard_rows: Optional[int] = typer.Option(100_000, "--shard-rows", min=1, help="At most N rows per output file."),
    force: bool = typer.Option(False, "--force", help="Replace an existing recipe file."),
) -> None:
    """Write the recipe of a filter (and budget) in a workspace, or of an export."""
    from indexing.recipes import Output, save_recipe

    if (where is None) == (from_export is None):
        fail("give either --where PREDICATE (with -w) or --from-export FOLDER", 2)
    budget = budget_of(tokens, order_by, ascending, balance_by, max_share, seed)
    with fails_on(disk=output_path.parent, disk_note="no recipe written: {}"):
        if from_export is not None:
            if budget is not None or columns is not None or output_format != "jsonl" or shard_rows != 100_000:
                fail("--from-export reproduces the export as it was made; leave out the budget and output options "
                     "(or save with --where and give them)", 2)
            path = _from_export(from_export, output_path, workspace, force)
        else:
            if workspace is None:
                fail("--where needs the workspace it filters: -w FOLDER", 2)
            output = Output(format=output_format, columns=column_list(columns), shard_rows=shard_rows)
            ws = Workspace.open(workspace)
            path, _ = save_recipe(ws, output_path, where=where, budget=budget, output=output, overwrite=force)
    _explained(path, "saved")


def _from_export(folder: Path, path: Path, workspace: Path | None, force: bool) -> Path:
    """Copy the export's recipe (and its assets) to `path`; an older export without one:
    the recipe of its manifest's predicate, unless it was an explicit id list."""
    from indexing.exports.export_recipe import RECIPE_FILE
    from indexing.recipes.files import copy_recipe

    if (folder / RECIPE_FILE).is_file():
        return copy_recipe(folder / RECIPE_FILE, path, overwrite=force)
    return _from_manifest(folder, path, workspace, force)


def _from_manifest(folder: Path, path: Path, workspace: Path | None, force: bool) -> Path:
    from indexing.errors import RecipeError
    from indexing.exports.export import INTERNAL_COLUMNS
    from indexing.exports.folder import MANIFEST
    from indexing.recipes import Output, save_recipe

    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        made = manifest["workspace"]["path"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RecipeError(f"{folder} is not a Loupe export (its {MANIFEST} cannot be read: {error})") from None
    if manifest.get("ids_given") is not None:
        raise RecipeError(f"{folder} was exported from an explicit list of {manifest['ids_given']:,} ids, which its "
                          f"{MANIFEST} does not hold (it predates exports with a recipe); save the recipe with "
                          "--where instead, or export again to get one")
    ws = Workspace.open(workspace or made)
    default = [n for n in ws.store.docs_schema().names if n not in INTERNAL_COLUMNS]
    columns = manifest.get("columns")
    output = Output(format=manifest.get("format", "jsonl"), columns=None if columns in (None, default) else columns,
                    shard_rows=manifest.get("shard_rows"))
    saved, _ = save_recipe(ws, path, where=manifest.get("predicate"), output=output,
                           made_from={"export": str(folder.resolve())}, overwrite=force)
    return saved


def _explained(path: Path, verb: str) -> None:
    from indexing.recipes import read_recipe
    from indexing.recipes.explain import explain

    with fails_on():
        lines = explain(read_recipe(path))
    console.print(f"{verb} {path}")
    for line in lines:
        out.print(line, soft_wrap=True)


@recipe_cli.command("show")
def show_command(path: Path = typer.Argument(..., help="The recipe file.")) -> None:
    """Explain a recipe in plain words, in the order `loupe apply` runs it."""
    from indexing.recipes import read_recipe
    from indexing.recipes.explain import explain

    with fails_on():
        lines = explain(read_recipe(path))
    for line in lines:
        out.print(line, soft_wrap=True)


@recipe_cli.command("check")
def check_command(
    path: Path = typer.Argument(..., help="The recipe file."),
    no_model: bool = typer.Option(False, "--no-model", help="Do not load the model to compare its weights."),
) -> None:
    """Validate a recipe: its columns, steps, classifier weights, assets and model; exit 1 on any problem."""
    from indexing.recipes.check import check_recipe

    with fails_on():
        recipe = check_recipe(path, load_model=not no_model)
    model = "model not loaded (--no-model)" if no_model else f"model {recipe.model.name} matches"
    parts = [_count(len(recipe.filter), "filter step"), _count(len(recipe.classifiers), "classifier"),
             "dedup" if recipe.dedup else "no dedup", "a budget" if recipe.budget else "no budget"]
    out.print(f"ok: {path}: {', '.join(parts)}; {model}", soft_wrap=True)


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"
