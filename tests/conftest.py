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


@pytest.fixture(scope="session")
def preview_cache(tmp_path_factory):
    """One real distillation of the bundled model's preview for the whole session (minutes on
    a busy CPU): LOUPE_CACHE_DIR points at a session folder (CLI subprocesses inherit it),
    every network connection fails meanwhile (the distillation is offline), and the static
    model as distilled, before the cache wrote it, is kept for comparison.
    Returns {"root": cache folder, "distilled": StaticModel, "folder": its cache folder}."""
    import socket

    from indexing.vectors import preview
    from indexing.vectors.embedder import DEFAULT_MODEL

    root = tmp_path_factory.mktemp("loupe-cache")
    before = os.environ.get("LOUPE_CACHE_DIR")
    os.environ["LOUPE_CACHE_DIR"] = str(root)
    kept = {}
    original_distill, original_connect = preview.distill_into, socket.socket.connect

    def distill_into(*args, **kwargs):
        kept["distilled"] = original_distill(*args, **kwargs)
        return kept["distilled"]

    def no_network(self, address):
        raise OSError(f"a preview's distillation must be offline; it connected to {address!r}")

    preview.distill_into, socket.socket.connect = distill_into, no_network
    try:
        folder = preview.cached_model(DEFAULT_MODEL)
    finally:
        preview.distill_into, socket.socket.connect = original_distill, original_connect
    yield {"root": root, "folder": folder, **kept}
    if before is None:
        os.environ.pop("LOUPE_CACHE_DIR", None)
    else:
        os.environ["LOUPE_CACHE_DIR"] = before
