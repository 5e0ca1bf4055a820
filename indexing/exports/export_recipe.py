"""The recipe that reproduces an export: `recipe.yaml` + `recipe.assets/` inside its folder.

An export of `where` (and `ids`) becomes a recipe of the same filter; ids chosen by a
token budget among `where` become that budget (so the recipe re-chooses them on any
corpus), other ids an explicit `ids.parquet`. The recipe's output is the export's format,
columns and shard size. A curation that no recipe can hold (a score whose classifier was
deleted, a dedup column without a dedup run) does not stop the export: the manifest says
`recipe: null` and why.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from indexing.errors import LoupeError
from indexing.recipes.files import assets_dir, recipe_hash
from indexing.recipes.from_workspace import save_recipe
from indexing.recipes.recipe import Budget, Output

RECIPE_FILE = "recipe.yaml"


def write_export_recipe(workspace, folder: Path, *, where: str | None, ids: Sequence[str] | None,
                        budget: Budget | None, format: str, columns: list[str] | None, shard_rows: int | None,
                        name: str) -> dict:
    """Write the recipe of this export into `folder` (the export's temporary folder); the
    manifest fields: `recipe`, `recipe_hash` and `recipe_problem` (null unless no recipe).
    `columns` None (the export's default columns) stays None in the recipe: every column
    but Loupe's internal ones, so the recipe needs no classifier, dedup or map just
    because the workspace had their columns."""
    path = Path(folder) / RECIPE_FILE
    output = Output(format=format, columns=None if columns is None else list(columns), shard_rows=shard_rows)
    try:
        save_recipe(workspace, path, where=where, ids=None if budget is not None else ids, budget=budget,
                    output=output, made_from={"export": name})
    except LoupeError as error:
        path.unlink(missing_ok=True)
        shutil.rmtree(assets_dir(path), ignore_errors=True)
        return {"recipe": None, "recipe_hash": None, "recipe_problem": str(error)}
    assets = assets_dir(path)
    if assets.is_dir() and not any(assets.iterdir()):
        assets.rmdir()  # a recipe of rules alone needs no assets
    return {"recipe": RECIPE_FILE, "recipe_hash": recipe_hash(path), "recipe_problem": None}
