"""One hierarchy: every error meant for a person is a LoupeError, and "not indexed yet" is one error."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import indexing
from indexing import errors
from indexing.errors import LoupeError, NotIndexedError

ROOT = Path(__file__).resolve().parents[2]


def test_every_exception_class_of_the_engine_is_a_loupe_error():
    """issue 9, point 3: ten exception classes derived from builtins in ten modules, and the CLI
    and the app caught them as hand-built tuples."""
    defined = []
    for path in (ROOT / "indexing").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Busy", "Missing")):
                defined.append((path.relative_to(ROOT).as_posix(), node.name))
    assert defined and all(path == "indexing/errors.py" for path, _ in defined), defined
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert len(classes) >= 12 and all(issubclass(c, LoupeError) for c in classes)
    assert issubclass(LoupeError, ValueError)  # code that caught Loupe's ValueErrors still does
    assert all(getattr(indexing, name) is getattr(errors, name) for name in indexing.__all__ if name.endswith("Error"))


def test_not_indexed_yet_is_one_error_naming_the_workspace_and_the_command(tmp_path):
    from indexing import Workspace, export, select_budget

    ws = Workspace.create(tmp_path / "ws", model="hash:16", id_field="id")
    for attempt in (lambda: select_budget(ws, 100), lambda: export(ws, "x"), lambda: ws.search("x")):
        with pytest.raises(NotIndexedError) as error:
            attempt()
        assert str(tmp_path / "ws") in str(error.value) and f"loupe index -w {tmp_path / 'ws'}" in str(error.value)
