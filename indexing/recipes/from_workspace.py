"""A recipe from a workspace's curation: its filter, classifiers, labels, dedup and budget.

    from indexing.recipes import save_recipe
    save_recipe(ws, "clean.yaml", where="tokens >= 20 AND quality != 'bad' AND score_quality >= 0.8",
                budget=Budget(5_000_000, order_by="score_quality"))

The predicate is split into its top-level AND-ed parts, one filter step each. Whatever the
steps, the budget and the output read is carried along, and only that: the classifiers
whose `score_<name>` they name (weights copied, threshold frozen), the current labels of
the label names they name (a Parquet table), the last dedup's settings when they name
`dup_keep`, the fitted map when they name `x`, `y` or `cluster`. What a step names that
`loupe apply` could not make (a column from nowhere) is refused here, not at apply time.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from indexing import __version__
from indexing.errors import NotIndexedError, RecipeError
from indexing.recipes.files import assets_dir, map_assets, write_recipe
from indexing.recipes.recipe import Budget, ClassifierUse, Dedup, Labels, Model, Output, Reading, Recipe, Step
from indexing.workspace.owned_columns import is_owned
from indexing.workspace.sql import conjuncts

MAP_COLUMNS = ("x", "y", "cluster", "placed")
DEDUP_COLUMNS = ("dup_keep", "dup_group")
SCORE_PREFIX = "score_"


def _steps(where: str | None, schema: pa.Schema, label_names: list[str]) -> tuple[list[Step], set[str]]:
    """The filter steps of `where` and the columns they read (SelectionError for a bad one)."""
    from indexing.curate.selection import label_column, referenced_columns

    if where is None or not where.strip():
        return [], set()
    docs_names = schema.names
    columns = {label_column(n, docs_names): n for n in label_names}
    full = pa.schema([f for f in schema if f.name != "vector"] + [pa.field(c, pa.string()) for c in columns])
    read: set[str] = set()
    steps = []
    for part in conjuncts(where.strip()):
        used = referenced_columns(part, full, list(columns))
        read.update(used)
        steps.append(Step(part, _about(used, columns)))
    return steps, read


def _about(used: list[str], label_columns: dict[str, str]) -> str | None:
    """A few words on what a step reads, for `recipe show` and the reasons of removed documents."""
    if any(c in label_columns for c in used):
        return "hand labels"
    if any(c in DEDUP_COLUMNS for c in used):
        return "duplicates"
    if any(c.startswith(SCORE_PREFIX) for c in used):
        return "classifier " + ", ".join(c[len(SCORE_PREFIX):] for c in used if c.startswith(SCORE_PREFIX))
    if any(c in MAP_COLUMNS for c in used):
        return "map"
    return None


_CUT = r"^\s*`?{column}`?\s*>=?\s*([-+0-9.eE]+)\s*$"


def _frozen_threshold(steps: list[Step], column: str) -> float | None:
    """The number of a step `column >= t` (or `>`), the form the app and the CLI write."""
    pattern = re.compile(_CUT.format(column=re.escape(column)))
    for step in steps:
        for part in conjuncts(step.where):
            match = pattern.match(part)
            if match:
                try:
                    return float(match.group(1))
                except ValueError:
                    return None
    return None


def _classifiers(workspace, steps: list[Step], read: set[str]) -> list[tuple[ClassifierUse, Path]]:
    from indexing.curate.classifiers.storage import _folder, list_classifiers

    saved = {f"{SCORE_PREFIX}{n}": n for n in list_classifiers(workspace.root)}
    uses = []
    for column in sorted(c for c in read if c.startswith(SCORE_PREFIX)):
        if column not in saved:
            raise RecipeError(f"the recipe reads {column!r}, but {workspace.root} has no saved classifier that "
                              f"writes it (saved: {', '.join(saved.values()) or 'none'}); train it again with "
                              "`loupe train`, or leave the column out")
        name = saved[column]
        threshold = _frozen_threshold(steps, column)
        keep_top = None
        if threshold is not None:
            scores = workspace.store.read_docs(columns=[column]).column(column)
            valid = pc.drop_null(scores)
            if len(valid):
                keep_top = round(float(pc.mean(pc.cast(pc.greater_equal(valid, threshold), pa.float64())).as_py()), 6)
        use = ClassifierUse(name, column, f"classifiers/{name}", threshold, keep_top)
        uses.append((use, _folder(workspace.root, name)))
    return uses


def _dedup(workspace) -> Dedup:
    from indexing.curate.dedup.stage import MINHASH, last_run

    run = last_run(workspace)
    if not run:
        raise RecipeError(f"the recipe reads dup_keep, but {workspace.root} has no dedup run; run `loupe dedup` first")
    extra = {k: run[k] for k in MINHASH if k in run} if run["method"] == "minhash" else {}
    return Dedup(run["method"], float(run["threshold"]), run["keep"], run.get("score_column"), **extra)


def model_of(workspace) -> Model:
    """The workspace's model, with its fingerprint (recorded at index time, else computed now)."""
    state = workspace.state
    if not state.model:
        raise NotIndexedError(workspace.root)
    fingerprint = state.model_fingerprint or workspace.embedder("cpu").fingerprint
    return Model(state.model, state.dimension, fingerprint)


def recipe_from_workspace(
    workspace,
    *,
    where: str | None = None,
    ids: Sequence[str] | None = None,
    budget: Budget | None = None,
    output: Output | None = None,
    made_from: dict | None = None,
) -> tuple[Recipe, callable]:
    """The recipe of `where` (and `ids`, `budget`, `output`) in `workspace`, and the function
    that writes its assets into a folder (for `files.write_recipe`)."""
    schema = workspace.store.docs_schema()
    if schema is None:
        raise NotIndexedError(workspace.root)
    label_names = workspace.labels.names()
    steps, read = _steps(where, schema, label_names)
    output = output or Output()
    if budget is not None:
        read.update(c for c in (budget.order_by, budget.balance_by) if c)
        read.update(["tokens"])
    for column in output.columns or []:
        if column not in schema.names:
            raise RecipeError(f"output column {column!r} is not a column of {workspace.root}; columns: "
                              f"{', '.join(n for n in schema.names if n != 'vector')}")
        read.add(column)
    dedup = _dedup(workspace) if read & set(DEDUP_COLUMNS) else None
    if dedup is not None and dedup.score_column:
        read.add(dedup.score_column)
    uses = _classifiers(workspace, steps, read)
    from indexing.curate.selection import label_column

    labels_read = [n for n in label_names if label_column(n, schema.names) in read and n not in schema.names]
    needs_map = bool(read & set(MAP_COLUMNS))
    if needs_map and "x" not in schema.names:
        raise NotIndexedError(workspace.root, "map")
    labels_version = workspace.labels.version()
    recipe = Recipe(
        model=model_of(workspace),
        reading=Reading(workspace.state.text_field, workspace.state.id_field,
                        fields={k: v for k, v in workspace.state.fields.items() if k != v},
                        columns={f.name: str(f.type) for f in schema if not is_owned(f.name)}),
        filter=steps,
        classifiers=[u for u, _ in uses],
        labels=Labels("labels.parquet", labels_read, {n: c for n, c in workspace.labels.counts().items()
                                                      if n in labels_read}) if labels_read else None,
        ids="ids.parquet" if ids is not None else None,
        map="map.npz" if needs_map else None,
        dedup=dedup,
        budget=budget,
        output=output,
        made_from={"workspace": str(Path(workspace.root).resolve()), "lance_version": workspace.store.version(),
                   "labels_version": labels_version, "predicate": where, **(made_from or {})},
        loupe_version=__version__,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )

    def make_assets(folder: Path) -> None:
        for use, source in uses:
            shutil.copytree(source, folder / use.weights)
        if labels_read:
            pq.write_table(workspace.labels.pivot(labels_read), folder / "labels.parquet")
        if ids is not None:
            pq.write_table(pa.table({"id": pa.array(list(dict.fromkeys(ids)), pa.string())}), folder / "ids.parquet")
        if needs_map:
            _write_map(workspace, folder / "map.npz")

    return recipe, make_assets


def _write_map(workspace, path: Path) -> None:
    """The fitted rows' vectors and places, which `loupe apply` places new documents from."""
    from indexing.vectors.stored import vector_matrix

    schema = workspace.store.docs_schema()
    where = "placed = false OR placed IS NULL" if "placed" in schema.names else None
    table = workspace.store.read_docs(where=where, columns=["vector", "x", "y", "cluster"])
    matrix = vector_matrix(table, lambda count: NotIndexedError(workspace.root, "vectors"))
    with open(path, "wb") as out:
        np.savez(out, vectors=matrix, x=table["x"].to_numpy(zero_copy_only=False).astype(np.float32),
                 y=table["y"].to_numpy(zero_copy_only=False).astype(np.float32),
                 cluster=table["cluster"].to_numpy(zero_copy_only=False).astype(np.int32))


def with_assets_paths(recipe: Recipe, path: Path) -> Recipe:
    """The recipe with its asset paths relative to `path`'s folder (`NAME.assets/...`)."""
    prefix = assets_dir(path).name + "/"
    return map_assets(recipe, lambda relative: prefix + relative)


def save_recipe(workspace, path: str | Path, *, where: str | None = None, ids: Sequence[str] | None = None,
                budget: Budget | None = None, output: Output | None = None, made_from: dict | None = None,
                overwrite: bool = False) -> tuple[Path, Recipe]:
    """Write the recipe of `where` (ids, budget, output) in `workspace` to `path` (NAME.yaml
    plus NAME.assets/); returns the path and the recipe."""
    recipe, make_assets = recipe_from_workspace(workspace, where=where, ids=ids, budget=budget, output=output,
                                                made_from=made_from)
    path = Path(path)
    recipe = with_assets_paths(recipe, path)
    has_assets = bool(recipe.classifiers or recipe.labels or recipe.ids or recipe.map)
    write_recipe(recipe, path, make_assets if has_assets else None, overwrite=overwrite)
    return path, recipe
