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
