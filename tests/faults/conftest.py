"""One fault lab per test session: corpora, templates and uninterrupted references are
built once (in a forkserver child that has Loupe imported and UMAP compiled) and shared."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    from tests.faults.harness import Lab

    return Lab(tmp_path_factory.mktemp("faults"))
