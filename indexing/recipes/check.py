"""`check_recipe`: every problem of a recipe found before `loupe apply` starts, all at once.

    from indexing.recipes.check import check_recipe
    recipe = check_recipe("clean.yaml")                    # RecipeError listing every problem
    recipe = check_recipe("clean.yaml", load_model=False)  # without loading the model

Reading the file refuses bad YAML, an unknown key or a newer `recipe_version` (one error,
with the line or the key). Then each part is checked against what apply will have: every
step parses over the recipe's columns (`schema.available`) and reads only columns that
exist; the budget, dedup and output name existing columns; each classifier's weights load
and were trained on the recipe's model; the labels, ids and map assets are readable and
hold their columns; with `load_model`, the model loads offline and its weights'
fingerprint and dimension are the recipe's. Each problem names the file and the key or
step; the RecipeError's `problems` holds them one by one.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from indexing.errors import LoupeError, RecipeError
from indexing.recipes.files import read_recipe, resolve
from indexing.recipes.recipe import Recipe
from indexing.recipes.schema import Available, available, gated

_NO_FIELD = re.compile(r"No field named (?:\"([^\"]+)\"|'([^']+)'|(\S+?))\.?(?:\s|$)")


def check_recipe(path: str | Path, *, load_model: bool = True) -> Recipe:
    """The recipe in `path` when nothing is wrong with it; else one RecipeError listing
    every problem (its `problems` attribute holds them one by one)."""
    path = Path(path)
    recipe = read_recipe(path)
    problems = recipe_problems(recipe, path, load_model=load_model)
    if problems:
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        error = RecipeError(f"{path}: {count}:\n" + "\n".join(f"- {p}" for p in problems))
        error.problems = problems
        raise error
    return recipe


def recipe_problems(recipe: Recipe, path: Path, *, load_model: bool = True) -> list[str]:
    """What is wrong with `recipe` (read from `path`), each naming the file and the key."""
    columns = available(recipe)
    problems = _steps(recipe, path, columns)
    problems += _named_columns(recipe, path, columns)
    problems += _classifiers(recipe, path)
    problems += _labels(recipe, path)
    problems += _ids(recipe, path)
    problems += _map(recipe, path)
    if load_model:
        problems += _model(recipe, path)
    return problems


# ---- columns ------------------------------------------------------------------


def _unknown(name: str, columns: Available) -> str:
    why = gated(name)
    if why is not None:
        return f"unknown column {name!r}: it exists only with {why}"
    return f"unknown column {name!r}; a recipe reads its source columns ({_sources(columns)}), Loupe's signals, " \
           "rules and language columns, `tokens`, `id`, `text`, its classifiers' scores and its label names"


def _sources(columns: Available) -> str:
    return ", ".join(columns.sources) if columns.sources else "none recorded"


def _steps(recipe: Recipe, path: Path, columns: Available) -> list[str]:
    from indexing.curate.selection import referenced_columns

    problems = []
    for number, step in enumerate(recipe.filter):
        where = f"{path}: filter[{number}] `{step.where}`"
        try:
            referenced_columns(step.where, columns.schema, list(columns.labels))
        except LoupeError as error:
            problems.append(f"{where}: {_why(str(error), step.where, columns)}")
    return problems


def _why(message: str, step: str, columns: Available) -> str:
    """A selection error in a recipe's words: which column is unknown and what would make
    it, or DataFusion's reason without the list of every column."""
    from indexing.workspace.sql import shorten

    match = _NO_FIELD.search(message)
    if match:
        return _unknown(next(g for g in match.groups() if g), columns)
    message = message.split(" Available columns:")[0]
    return message.removeprefix(f"bad selection {shorten(step)!r}: ")


def _named_columns(recipe: Recipe, path: Path, columns: Available) -> list[str]:
    """The budget's, dedup's and the output's columns exist (and rank by numbers)."""
    named: list[tuple[str, str, bool]] = []  # key, column, must be numeric
    if recipe.budget is not None:
        if recipe.budget.order_by:
            named.append(("budget.order_by", recipe.budget.order_by, True))
        if recipe.budget.balance_by:
            named.append(("budget.balance_by", recipe.budget.balance_by, False))
    if recipe.dedup is not None and recipe.dedup.score_column:
        named.append(("dedup.score_column", recipe.dedup.score_column, True))
    for column in recipe.output.columns or []:
        named.append(("output.columns", column, False))
    problems = []
    for key, column, numeric in named:
        type_ = columns.type_of(column)
        if type_ is None:
            problems.append(f"{path}: {key}: {_unknown(column, columns)}")
        elif numeric and not (pa.types.is_integer(type_) or pa.types.is_floating(type_)):
            problems.append(f"{path}: {key}: column {column!r} holds {type_}, not numbers; rank by a numeric "
                            "column such as a classifier's score or tokens")
    return problems


# ---- assets -------------------------------------------------------------------


def _classifiers(recipe: Recipe, path: Path) -> list[str]:
    from indexing.curate.classifiers.storage import read_folder

    problems = []
    for number, use in enumerate(recipe.classifiers):
        where = f"{path}: classifiers[{number}] ({use.name})"
        if use.column != f"score_{use.name}":
            problems.append(f"{where}: column {use.column!r} should be 'score_{use.name}'")
        folder = resolve(path, use.weights)
        if not folder.is_dir():
            problems.append(f"{where}: the weights folder {folder} is missing; copy the recipe with its "
                            f"{folder.parent.parent.name}/ folder, or save the recipe again")
            continue
        try:
            classifier = read_folder(folder, then="save the recipe again from its workspace")
        except LoupeError as error:
            problems.append(f"{where}: {error}")
            continue
        model = recipe.model
        if classifier.model != model.name or classifier.dimension != model.dimension:
            problems.append(f"{where}: trained on {classifier.model} ({classifier.dimension}-d), but the recipe's "
                            f"model is {model.name} ({model.dimension}-d); retrain it on the recipe's model")
    return problems


def _asset(path: Path, relative: str, key: str) -> tuple[Path | None, str | None]:
    file = resolve(path, relative)
    if not file.is_file():
        return None, f"{path}: {key}: {file} is missing; copy the recipe with its assets folder, or save it again"
    return file, None


def _parquet(path: Path, relative: str, key: str, needs: list[str]) -> list[str]:
    import pyarrow.parquet as pq

    file, problem = _asset(path, relative, key)
    if problem:
        return [problem]
    try:
        schema = pq.read_schema(file)
        pq.read_metadata(file)
    except (OSError, pa.ArrowException) as error:
        return [f"{path}: {key}: {file} is not a readable Parquet table ({error}); save the recipe again"]
    problems = []
    for column in needs:
        index = schema.get_field_index(column)
        if index < 0:
            problems.append(f"{path}: {key}: {file} has no column {column!r}; save the recipe again")
        elif not pa.types.is_string(schema.field(index).type) and not pa.types.is_large_string(
                schema.field(index).type):
            problems.append(f"{path}: {key}: column {column!r} of {file} holds {schema.field(index).type}, "
                            "not text; save the recipe again")
    return problems


def _labels(recipe: Recipe, path: Path) -> list[str]:
    if recipe.labels is None:
        return []
    return _parquet(path, recipe.labels.file, "labels.file", ["doc_id", *recipe.labels.names])


def _ids(recipe: Recipe, path: Path) -> list[str]:
    return [] if recipe.ids is None else _parquet(path, recipe.ids, "ids", ["id"])


def _map(recipe: Recipe, path: Path) -> list[str]:
    if recipe.map is None:
        return []
    file, problem = _asset(path, recipe.map, "map")
    if problem:
        return [problem]
    where = f"{path}: map: {file}"
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("vectors", "x", "y", "cluster") if key in data.files}
    except (OSError, ValueError, EOFError) as error:
        return [f"{where} is not a readable map ({error}); save the recipe again"]
    missing = [k for k in ("vectors", "x", "y", "cluster") if k not in arrays]
    if missing:
        return [f"{where} lacks {', '.join(missing)}; save the recipe again"]
    vectors = arrays["vectors"]
    if vectors.ndim != 2 or vectors.shape[1] != recipe.model.dimension:
        return [f"{where}: vectors of shape {vectors.shape}, expected (n, {recipe.model.dimension}) for the "
                "recipe's model; save the recipe again"]
    if any(arrays[k].shape != (len(vectors),) for k in ("x", "y", "cluster")):
        return [f"{where}: x, y and cluster must hold one value per vector ({len(vectors)}); save the recipe again"]
    return []


# ---- the model ----------------------------------------------------------------


def _model(recipe: Recipe, path: Path) -> list[str]:
    from indexing.vectors.embedder import load_embedder

    model = recipe.model
    where = f"{path}: model {model.name!r}"
    try:
        embedder = load_embedder(model.name, device="cpu")
        fingerprint, dimension = embedder.fingerprint, int(embedder.dimension)
    except Exception as error:  # sentence-transformers raises OSError, ValueError, HF errors...
        reason = " ".join(str(error).split())[:300]
        return [f"{where} cannot be loaded offline ({type(error).__name__}: {reason}); install it or give its "
                "local folder as model.name"]
    problems = []
    if dimension != model.dimension:
        problems.append(f"{where} makes {dimension}-d vectors, the recipe says {model.dimension}")
    if fingerprint != model.fingerprint:
        problems.append(f"{where}: the installed weights ({fingerprint[:19]}...) are not the ones the recipe was "
                        f"made with ({model.fingerprint[:19]}...); its tokens and scores would differ. Install "
                        "that model, or save the recipe again from a workspace indexed with this one")
    return problems
