"""Recipes: a curation made in a workspace, saved as YAML, re-applied to any corpus.

    from indexing.recipes import save_recipe, read_recipe, Budget, Output
    path, recipe = save_recipe(ws, "clean.yaml", where="tokens >= 20 AND score_quality >= 0.8")
    recipe = read_recipe("clean.yaml")     # RecipeError naming the file and key when it is wrong

- recipe.py          what a recipe holds (Recipe and its parts), validated key by key
- files.py           NAME.yaml + NAME.assets/ on disk, written atomically; the recipe's hash
- from_workspace.py  the recipe of a workspace's filter, classifiers, labels, dedup and budget
"""

from indexing.recipes.files import assets_dir, read_recipe, recipe_hash, resolve, write_recipe
from indexing.recipes.from_workspace import recipe_from_workspace, save_recipe
from indexing.recipes.recipe import (
    RECIPE_VERSION, Budget, ClassifierUse, Dedup, Labels, Model, Output, Reading, Recipe, Step,
)

__all__ = ["Recipe", "Reading", "Model", "Step", "ClassifierUse", "Labels", "Dedup", "Budget", "Output",
           "RECIPE_VERSION", "read_recipe", "write_recipe", "save_recipe", "recipe_from_workspace",
           "recipe_hash", "assets_dir", "resolve"]
