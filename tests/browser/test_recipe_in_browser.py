"""*Save as recipe* in a real browser: a threshold moved, the recipe saved from the Export
tab, and the file on disk keeps exactly what the sidebar said the filter keeps."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from indexing.recipes import read_recipe
from indexing.recipes.check import check_recipe
from tests.browser.test_app_in_browser import TIMEOUT, _kept, _raise_words_start, _settle

N = 121


def test_save_as_recipe_writes_what_the_filter_keeps_and_explains_it(page, workspace, tmp_path):
    page.get_by_role("tab", name="Filters").click()
    _raise_words_start(page)
    kept = _kept(page)
    assert 0 < kept < N
    page.get_by_role("tab", name="Export").click()
    path = tmp_path / "browser.yaml"
    field = page.get_by_label("Recipe file (NAME.yaml; its assets go to NAME.assets/ beside it)")
    field.fill(str(path))
    field.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Save as recipe").click()
    expect(page.get_by_text(re.compile(r"Saved the recipe"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(re.compile(r"1\. Keeps documents where")).first).to_be_visible(timeout=TIMEOUT)
    recipe = check_recipe(path)  # with the real model: its weights are the workspace's
    assert recipe == read_recipe(path) and recipe.model.dimension == 384
    assert len(workspace.select(recipe.where)) == kept
