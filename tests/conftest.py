"""Shared fixtures. Nothing may fetch from a hub: the real model is the bundled one."""

from __future__ import annotations

import os

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def stdlib_rows():
    """A few hundred real documents from the standard library (text, kind, module, id)."""
    from indexing.demo_corpus import stdlib_documents

    return stdlib_documents(400, seed=7)


@pytest.fixture(scope="module")
def indexed_template(tmp_path_factory):
    """`indexed_template(rows, **options) -> tests.helpers.Template`: `rows` indexed once per
    module and options (model="hash:32", id_field="id", map=True, and Workspace.index's
    options; see tests.helpers.build_template). Read it, or `.copy(folder)` it to write."""
    from tests.helpers import build_template, template_key

    built = {}

    def template(rows, **options):
        key = template_key(rows, options)
        if key not in built:
            built[key] = build_template(tmp_path_factory.mktemp("template"), rows, **options)
        return built[key]

    return template


@pytest.fixture
def indexed_workspace(indexed_template, tmp_path):
    """`indexed_workspace(rows, **options) -> Workspace`: a fresh copy, in this test's
    tmp_path ("ws", then "ws-2"...), of the module's template for these rows and options."""
    taken = []

    def workspace(rows, **options):
        taken.append(None)
        return indexed_template(rows, **options).copy(tmp_path, "ws" if len(taken) == 1 else f"ws-{len(taken)}")

    return workspace
