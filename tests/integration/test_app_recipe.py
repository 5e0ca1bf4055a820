"""The Export tab's *Save as recipe*, and a budget selection exported as its budget (AppTest)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from indexing.recipes import Budget, read_recipe
from tests.helpers import open_tab
from tests.integration.test_app import _run

pytestmark = pytest.mark.integration


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    return indexed_workspace(stdlib_rows[:80])


def _filtered(monkeypatch, workspace) -> tuple[AppTest, int]:
    """The app with a token threshold set, on the Export tab, and the count it shows."""
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    slider = app.slider(key="rule_tokens")
    low, high = slider.value
    slider.set_value((low, (low + high) // 2)).run()
    open_tab(app, "Export")
    shown = [c.value for c in app.caption if c.value.endswith("will be written.")][0]
    return app, int(shown.split()[0].replace(",", ""))


def test_save_as_recipe_writes_the_filter_and_shows_it_in_words(monkeypatch, workspace, tmp_path):
    app, count = _filtered(monkeypatch, workspace)
    assert app.text_input(key="recipe_path").value == str(workspace.root / "recipes" / "curation.yaml")
    path = tmp_path / "mine.yaml"
    app.text_input(key="recipe_path").input(str(path))
    app.button(key="recipe_save").click().run()
    assert not app.exception and not app.error
    recipe = read_recipe(path)
    assert recipe.filter and recipe.budget is None and recipe.ids is None
    assert len(workspace.select(recipe.where)) == count  # the recipe keeps what the tab said
    assert any("Saved the recipe" in s.value for s in app.success)
    words = " ".join(m.value for m in app.markdown)
    assert "Keeps documents where" in words and "Writes the kept documents as JSONL" in words

    app.button(key="recipe_save").click().run()  # again: the file exists
    assert not app.exception and any("already exists" in e.value for e in app.error)
    app.text_input(key="recipe_path").input(str(tmp_path / "mine.txt")).run()
    app.button(key="recipe_save").click().run()
    assert not app.exception and any("ends in .yaml" in e.value.replace("\\", "") for e in app.error)


def test_a_budget_selection_is_saved_and_exported_as_its_budget(monkeypatch, workspace, tmp_path):
    app = open_tab(_run(monkeypatch, workspace.root), "Budget")
    total = int(workspace.docs(columns=["tokens"])["tokens"].to_numpy().sum())
    app.number_input(key="budget_tokens").set_value(total // 3)
    app.selectbox(key="budget_balance").set_value("cluster")
    app.button(key="budget_select").click().run()
    assert not app.exception
    chosen = sorted(app.session_state["selection"].ids)
    expected = Budget(total // 3, balance_by="cluster")

    open_tab(app, "Export")
    assert app.checkbox(key="recipe_use_selection").value  # the budget's selection is in by default
    path = tmp_path / "budget.yaml"
    app.text_input(key="recipe_path").input(str(path))
    app.button(key="recipe_save").click().run()
    assert not app.exception and not app.error
    recipe = read_recipe(path)
    assert recipe.budget == expected and recipe.ids is None and recipe.filter == []

    app.text_input(key="export_name").input("by-budget")
    app.checkbox(key="export_use_selection").check()
    [b for b in app.button if b.label == "Export"][0].click().run()
    assert not app.exception
    folder = workspace.root / "exports" / "by-budget"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kept"]["documents"] == len(chosen) and manifest["budget"]["tokens"] == total // 3
    assert read_recipe(folder / "recipe.yaml").budget == expected
