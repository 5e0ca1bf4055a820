"""A recipe on disk: `NAME.yaml` and, beside it, `NAME.assets/` with what YAML cannot hold.

    clean.yaml                      the recipe (recipe.py), readable and diffable
    clean.assets/classifiers/<n>/   coef.npy + meta.json of each classifier (no pickle)
    clean.assets/labels.parquet     the hand-label decisions the filter reads
    clean.assets/ids.parquet        an explicit selection, when the recipe keeps one
    clean.assets/map.npz            the fitted map (vectors, x, y, cluster), when needed

Paths inside the YAML are relative to the file, so the pair can be copied anywhere. A save
writes the assets into a temporary folder that is renamed into place whole, then the YAML
atomically, so a kill leaves the old recipe or the new one. YAML is read with
`yaml.safe_load` (plain data only: no tags, no objects).
"""

from __future__ import annotations

import hashlib
import shutil
import secrets
from pathlib import Path
from typing import Callable

import yaml

from indexing.errors import RecipeError
from indexing.recipes.recipe import Recipe, recipe_from_dict
from indexing.workspace.atomic import atomic_write_text, swap_folder

ASSETS_SUFFIX = ".assets"
HEADER = ("# A Loupe recipe: a curation that `loupe apply` re-applies to any corpus.\n"
          "# `loupe recipe show FILE` explains it in words; `loupe recipe check FILE` validates it.\n")


def assets_dir(path: Path) -> Path:
    """The folder beside `path` that holds its assets."""
    path = Path(path)
    return path.with_name(path.stem + ASSETS_SUFFIX)


def write_recipe(recipe: Recipe, path: str | Path, make_assets: Callable[[Path], None] | None = None,
                 overwrite: bool = False) -> Path:
    """Write `recipe` to `path`; `make_assets(folder)` fills the assets folder (its paths,
    relative to `path`'s folder, are what the recipe names). Refuses to replace an
    existing recipe unless `overwrite`."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml"):
        raise RecipeError(f"{path}: a recipe file ends in .yaml")
    if path.exists() and not overwrite:
        raise RecipeError(f"{path} already exists; choose another name (or overwrite it: --force)")
    path.parent.mkdir(parents=True, exist_ok=True)
    final = assets_dir(path)
    if make_assets is not None:
        token = secrets.token_hex(6)
        temporary = path.parent / f".{final.name}.tmp-{token}"
        temporary.mkdir()
        try:
            make_assets(temporary)
            swap_folder(temporary, final, aside=path.parent / f".{final.name}.old-{token}" if final.exists() else None)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        shutil.rmtree(path.parent / f".{final.name}.old-{token}", ignore_errors=True)
    text = HEADER + yaml.safe_dump(recipe.as_dict(), sort_keys=False, allow_unicode=True, width=100)
    atomic_write_text(path, text)
    if make_assets is None and final.is_dir():  # the recipe replaced needs none now: drop its old assets
        shutil.rmtree(final)
    return path


def read_recipe(path: str | Path) -> Recipe:
    """The recipe in `path`; RecipeError naming the file (and line) for anything wrong."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such recipe file") from None
    except IsADirectoryError:
        raise RecipeError(f"{path} is a folder, not a recipe file") from None
    except OSError as error:
        raise RecipeError(f"{path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise RecipeError(f"{path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise RecipeError(f"{path}{where}: not valid YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise RecipeError(f"{path}: not valid YAML: {error}") from None
    return recipe_from_dict(data, str(path))


def resolve(recipe_path: str | Path, relative: str) -> Path:
    """An asset path of the recipe at `recipe_path`, as a path to open."""
    return Path(recipe_path).parent / relative


def map_assets(recipe: Recipe, moved: Callable[[str], str]) -> Recipe:
    """The recipe with `moved` applied to every asset path it names."""
    from dataclasses import replace

    return replace(
        recipe,
        classifiers=[replace(u, weights=moved(u.weights)) for u in recipe.classifiers],
        labels=replace(recipe.labels, file=moved(recipe.labels.file)) if recipe.labels else None,
        ids=moved(recipe.ids) if recipe.ids else None,
        map=moved(recipe.map) if recipe.map else None,
    )


def copy_recipe(source: str | Path, target: str | Path, overwrite: bool = False) -> Path:
    """The recipe at `source`, with its assets, written to `target` (its asset paths renamed
    to `target`'s assets folder); leftovers of a copy a kill interrupted are removed first."""
    source, target = Path(source), Path(target)
    old, new = assets_dir(source).name + "/", assets_dir(target).name + "/"
    recipe = map_assets(read_recipe(source),
                        lambda relative: new + relative[len(old):] if relative.startswith(old) else relative)
    for leftover in target.parent.glob(f".{assets_dir(target).name}.*"):
        shutil.rmtree(leftover, ignore_errors=True)
    assets = assets_dir(source)

    def copy_assets(folder: Path) -> None:
        shutil.copytree(assets, folder, dirs_exist_ok=True)

    return write_recipe(recipe, target, copy_assets if assets.is_dir() else None, overwrite=overwrite)


def recipe_hash(path: str | Path) -> str:
    """sha256 of the recipe file and every file of its assets (by relative path): what a
    manifest records, so two outputs say whether the same curation made them."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes())
    folder = assets_dir(path)
    if folder.is_dir():
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(file.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            with open(file, "rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
    return "sha256:" + digest.hexdigest()
