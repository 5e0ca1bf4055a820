"""One fault lab per test session: corpora, templates and uninterrupted references are
built once (in a forkserver child that has Loupe imported and UMAP compiled) and shared.
LOUPE_FAULTS_LAB=DIR keeps the lab's templates in DIR between sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    from tests.faults.harness import Lab

    kept = os.environ.get("LOUPE_FAULTS_LAB")
    return Lab(Path(kept) if kept else tmp_path_factory.mktemp("faults"))
