"""A demo corpus of real text that every machine already has: the Python standard library.

``loupe demo`` and the benchmarks need text without a network or a download. The running
interpreter's standard library is such text: module, class and function docstrings (prose)
and function sources (code), each a record ``{"id", "text", "kind", "module"}``.

Kinds:

* ``module_doc``      a module's docstring;
* ``class_doc``       a class's docstring;
* ``function_doc``    a function's or method's docstring;
* ``function_source`` a function's or method's full source, decorators included, dedented.

``id`` is ``f"{module}:{qualname}:{kind}:{lineno}"``: stable for a given Python version
(``qualname`` follows Python's own, e.g. ``JSONDecoder.decode`` or ``f.<locals>.g``; it is
``""`` for a module docstring).

Speed: files are parsed in a seeded random order only until about ``2 * n`` candidates are
in hand, so a small corpus reads a small part of the library. Sources are cut out of the
file by line numbers, never with ``ast.get_source_segment`` (which is quadratic in practice).
"""

from __future__ import annotations

import ast
import json
import os
import random
import sysconfig
import textwrap
import warnings
from contextlib import suppress
from pathlib import Path
from typing import Iterable, Iterator

from indexing.workspace.atomic import atomic_writer, fsync

__all__ = ["stdlib_documents", "write_jsonl", "KINDS"]

KINDS = ("module_doc", "class_doc", "function_doc", "function_source")

# Directory names never walked into, wherever they are.
_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "idlelib", "turtledemo"}
# Directory paths (relative to the stdlib root, "/"-separated) never walked into.
_SKIP_REL_DIRS = {"lib2to3/tests/data", "ensurepip/_bundled"}
_TEST_DIRS = {"test", "tests"}

# Statement fields that may hold further statements (and so further defs).
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_FUNC_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)


def stdlib_root() -> Path:
    """The running Python's standard library directory."""
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_files(include_tests: bool = False, root: str | os.PathLike | None = None) -> list[Path]:
    """The library's ``*.py`` files, sorted by their path relative to ``root``.

    Skips site-packages, caches, IDLE, turtledemo, lib2to3's test data, ensurepip's bundled
    wheels, directories that cannot be packages (``lib-dynload``, ``config-3.x-...``) and,
    unless ``include_tests``, every ``test``/``tests`` directory and ``test_*.py`` file.
    """
    base = Path(root) if root is not None else stdlib_root()
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = os.path.relpath(dirpath, base).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for d in dirnames:
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in _SKIP_DIRS or rel in _SKIP_REL_DIRS or not d.isidentifier():
                continue
            if not include_tests and d in _TEST_DIRS:
                continue
            keep.append(d)
        dirnames[:] = sorted(keep)
        for f in filenames:
            if not f.endswith(".py"):
                continue
            if not include_tests and f.startswith("test_"):
                continue
            rel = f"{rel_dir}/{f}" if rel_dir else f
            found.append((rel, Path(dirpath) / f))
    found.sort(key=lambda item: item[0])
    return [path for _, path in found]


def module_name(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """Dotted module name of a library file: ``json/decoder.py`` -> ``json.decoder``,
    ``json/__init__.py`` -> ``json``."""
    base = Path(root) if root is not None else stdlib_root()
    parts = list(Path(path).relative_to(base).with_suffix("").parts)
    if len(parts) > 1 and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _read_source(path: Path) -> str | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    # Python numbers lines at \n, \r\n and \r only (not at \f, \v, \x1c or \u2028, which
    # str.splitlines also splits at): normalise so that text.split("\n") matches ast.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _parse(text: str, filename: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like in old files
            return ast.parse(text, filename=filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _string_lines(node: ast.AST) -> set[int]:
    """Lines (1-based) that continue a multi-line string literal inside ``node``."""
    inside: set[int] = set()
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Constant, ast.JoinedStr)) and sub.end_lineno and sub.end_lineno > sub.lineno:
            if isinstance(sub, ast.JoinedStr) or isinstance(sub.value, (str, bytes)):
                inside.update(range(sub.lineno + 1, sub.end_lineno + 1))
    return inside


def _function_source(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> str:
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    end = node.end_lineno or node.lineno
    chunk = lines[start - 1 : end]
    text = textwrap.dedent("\n".join(chunk))
    if text[:1] in (" ", "\t"):
        # A multi-line string less indented than the def stops dedent from removing the
        # def's indentation; remove it from every line except string continuations.
        first = chunk[0]
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        protected = _string_lines(node)
        out = []
        for lineno, line in enumerate(chunk, start):
            if lineno not in protected and line.startswith(indent):
                line = line[len(indent) :]
            out.append(line)
        text = "\n".join(out)
    return text.rstrip() + "\n"


def _file_records(path: Path, module: str) -> Iterator[dict]:
    text = _read_source(path)
    if text is None:
        return
    tree = _parse(text, str(path))
    if tree is None:
        return
    lines = text.split("\n")

    def record(qualname: str, kind: str, lineno: int, body: str | None) -> Iterator[dict]:
        if body and body.strip():
            yield {"id": f"{module}:{qualname}:{kind}:{lineno}", "text": body, "kind": kind, "module": module}

    doc = ast.get_docstring(tree, clean=True)
    if doc:
        yield from record("", "module_doc", tree.body[0].lineno, doc)

    def visit(stmts: list, prefix: str) -> Iterator[dict]:
        for node in stmts:
            if isinstance(node, _FUNC_TYPES):
                qual = prefix + node.name
                yield from record(qual, "function_doc", node.lineno, ast.get_docstring(node, clean=True))
                yield from record(qual, "function_source", node.lineno, _function_source(node, lines))
                yield from visit(node.body, qual + ".<locals>.")
            elif isinstance(node, ast.ClassDef):
                qual = prefix + node.name
                yield from record(qual, "class_doc", node.lineno, ast.get_docstring(node, clean=True))
                yield from visit(node.body, qual + ".")
            else:
                for field in _BODY_FIELDS:
                    for child in getattr(node, field, None) or ():
                        if isinstance(child, ast.stmt):
                            yield from visit([child], prefix)
                        else:  # ExceptHandler, match_case
                            yield from visit(getattr(child, "body", None) or [], prefix)

    yield from visit(tree.body, "")


def stdlib_documents(n: int = 5000, seed: int = 0, include_tests: bool = False) -> list[dict]:
    """About n records of real text drawn from the running Python's standard library.

    Files are shuffled with ``random.Random(seed)`` and parsed in that order until at least
    ``2 * n`` candidates are collected (or the files run out); ``n`` of them are then chosen
    with the same generator (all of them if fewer exist). The result is sorted by ``id``, so
    it is the same for the same ``(n, seed, include_tests)`` and Python version.
    """
    if n <= 0:
        return []
    root = stdlib_root()
    files = stdlib_files(include_tests=include_tests, root=root)
    rng = random.Random(seed)
    rng.shuffle(files)
    want = 2 * n
    candidates: list[dict] = []
    seen: set[str] = set()
    for path in files:
        module = module_name(path, root)
        for rec in _file_records(path, module):
            if rec["id"] not in seen:
                seen.add(rec["id"])
                candidates.append(rec)
        if len(candidates) >= want:
            break
    chosen = candidates if len(candidates) <= n else rng.sample(candidates, n)
    return sorted(chosen, key=lambda r: r["id"])


def write_jsonl(records: Iterable[dict], path: str | os.PathLike) -> int:
    """Writes ``records`` as JSON Lines to ``path`` atomically; returns rows written.

    The rows go to a temporary file in the same directory, which is flushed, fsynced and
    then moved over ``path`` with ``os.replace``; on any error the temporary file is removed
    and ``path`` is left as it was.
    """
    path = Path(path)
    rows = 0
    with atomic_writer(path, shared=True) as fh:  # a file users open: the usual mode, not 0600
        for rec in records:
            line = json.dumps(rec, ensure_ascii=False)
            # Raw U+2028/U+2029 are valid JSON but break line-splitting readers.
            line = line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
            fh.write(line + "\n")
            rows += 1
    with suppress(OSError):  # make the rename itself durable (POSIX); best effort elsewhere
        fsync(path.parent)
    return rows
