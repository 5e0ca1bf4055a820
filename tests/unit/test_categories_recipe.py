"""A recipe saved from a workspace with conditions on string columns re-applies them in
`loupe apply` (the computed `domain` included): it keeps exactly what the workspace selects."""

from __future__ import annotations

import glob
import json

import pytest

from indexing.apply import apply_recipe
from indexing.curate.categories import Condition
from indexing.curate.thresholds import Rule, combined_predicate
from indexing.recipes import save_recipe
from indexing.vectors.embedder import load_embedder


@pytest.fixture(scope="module")
def with_urls(indexed_template, stdlib_rows):
    rows = [{**r, "url": "not a url" if i % 9 == 0 else f"https://www.{r['module'].split('.')[0]}.Example.org/{i}"}
            for i, r in enumerate(stdlib_rows[:150])]
    template = indexed_template(rows, map=False)
    return template, str(template.path.parent / "docs.jsonl")


@pytest.mark.parametrize("conditions", [
    [Condition("kind", include=("function_doc", "class_doc"))],
    [Condition("domain", exclude=("distutils.example.org", "abc.example.org"))],  # a missing domain stays
    [Condition("domain", include=("email.example.org",)), Condition("kind", exclude=("module_doc",))],
    [Condition("url", contains="Example.org/1"), Condition("url", regex=r"/1\d$")],
])
def test_a_recipe_with_category_conditions_keeps_what_the_workspace_selects(with_urls, tmp_path, conditions):
    template, source = with_urls
    ws = template.copy(tmp_path)
    where = combined_predicate([Rule("tokens", 5, None)], conditions=conditions)  # as the app writes it
    path, recipe = save_recipe(ws, tmp_path / "r.yaml", where=where)
    assert len(recipe.filter) == 1 + len(conditions)
    result = apply_recipe(path, [source], tmp_path / "out", embedder=load_embedder("hash:32"))
    kept = [json.loads(line)["id"] for f in sorted(glob.glob(f"{tmp_path}/out/part-*.jsonl")) for line in open(f)]
    expected = ws.select(where)
    assert kept == expected and 0 < len(expected) < ws.count()
    assert result.kept + result.removed == ws.count()
