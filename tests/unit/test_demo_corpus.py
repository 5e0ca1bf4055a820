"""The demo corpus: real text from the running Python's standard library."""

from __future__ import annotations

import ast
import inspect
import json
import json.decoder
import os
import random
import textwrap
import warnings
from pathlib import Path

import pytest

from indexing.demo_corpus import (
    KINDS,
    _file_records,
    module_name,
    stdlib_documents,
    stdlib_files,
    stdlib_root,
    write_jsonl,
)


@pytest.fixture(scope="module")
def everything() -> list[dict]:
    """Every record of the library without tests (one full pass, about 2 s)."""
    return stdlib_documents(n=10**9, seed=0)


@pytest.fixture(scope="module")
def small() -> list[dict]:
    return stdlib_documents(n=2000, seed=0)


def _compile(text: str) -> None:
    """Compiles a function's source on its own; a nested function's ``nonlocal`` names
    get an enclosing function that binds them, as the original had."""
    names = sorted({n for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Nonlocal) for n in node.names})
    if names:
        binds = "".join(f"    {n} = None\n" for n in names)
        text = "def _enclosing():\n" + binds + textwrap.indent(text, "    ") + "    return None\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(text, "x", "exec", dont_inherit=True)


def test_record_shape(small):
    for rec in small:
        assert set(rec) == {"id", "text", "kind", "module"}
        assert all(isinstance(v, str) for v in rec.values())
        assert rec["kind"] in KINDS
        assert rec["text"].strip()
        assert rec["id"].startswith(rec["module"] + ":")
        assert f":{rec['kind']}:" in rec["id"]


def test_n_respected_and_ids_unique(small):
    assert len(small) == 2000
    assert len({r["id"] for r in small}) == 2000
    assert [r["id"] for r in small] == sorted(r["id"] for r in small)
    assert len(stdlib_documents(n=37, seed=3)) == 37
    assert stdlib_documents(n=0) == []


def test_every_kind_present(small):
    assert {r["kind"] for r in small} == set(KINDS)


def test_deterministic_for_a_seed():
    a = stdlib_documents(n=300, seed=7)
    b = stdlib_documents(n=300, seed=7)
    assert a == b
    c = stdlib_documents(n=300, seed=8)
    assert [r["id"] for r in a] != [r["id"] for r in c]


def test_fewer_than_asked_returns_all(everything):
    assert len(everything) > 10_000
    assert len({r["id"] for r in everything}) == len(everything)
    assert len(stdlib_documents(n=len(everything) + 1000, seed=5)) == len(everything)


def test_function_sources_start_with_def_and_compile(small):
    sources = [r for r in small if r["kind"] == "function_source"]
    assert len(sources) >= 20
    for rec in random.Random(0).sample(sources, 20):
        text = rec["text"]
        assert text.startswith(("def ", "async def ", "@")), rec["id"]
        _compile(text)


def test_all_function_sources_start_at_column_zero(everything):
    bad = [r["id"] for r in everything if r["kind"] == "function_source" and not r["text"].startswith(("def ", "async def ", "@"))]
    assert bad == []


def test_known_module_names_and_texts(everything):
    by_id = {r["id"]: r for r in everything}
    mods = {r["module"] for r in everything}
    assert {"json", "json.decoder", "xml.etree.ElementTree", "email.mime.text"} <= mods
    assert not any(m.endswith("__init__") or "/" in m or m.endswith(".py") for m in mods)

    # json/__init__.py -> "json", with the package docstring
    (json_doc,) = [r for r in everything if r["module"] == "json" and r["kind"] == "module_doc"]
    assert json_doc["id"].startswith("json::module_doc:")
    assert json_doc["text"] == inspect.cleandoc(json.__doc__)

    # a method: qualname Outer.method, text equal to the real source, dedented
    lineno = json.decoder.JSONDecoder.decode.__code__.co_firstlineno
    src = by_id[f"json.decoder:JSONDecoder.decode:function_source:{lineno}"]
    assert src["text"] == textwrap.dedent(inspect.getsource(json.decoder.JSONDecoder.decode))
    doc = by_id[f"json.decoder:JSONDecoder.decode:function_doc:{lineno}"]
    assert doc["text"] == inspect.getdoc(json.decoder.JSONDecoder.decode)
    assert any(r["id"].startswith("json.decoder:JSONDecoder:class_doc:") for r in everything)


def test_tests_excluded_unless_asked():
    files = stdlib_files(include_tests=False)
    rels = [p.relative_to(stdlib_root()).parts for p in files]
    assert files
    assert not any(set(parts[:-1]) & {"test", "tests"} or parts[-1].startswith("test_") for parts in rels)
    assert not any(set(parts) & {"site-packages", "idlelib", "turtledemo", "__pycache__"} for parts in rels)
    with_tests = stdlib_files(include_tests=True)
    assert len(with_tests) > len(files)
    assert [p for p in with_tests if p in set(files)] == files  # same sorted order


def test_module_name():
    root = stdlib_root()
    assert module_name(root / "json" / "__init__.py", root) == "json"
    assert module_name(root / "json" / "decoder.py", root) == "json.decoder"
    assert module_name(root / "xml" / "etree" / "ElementTree.py", root) == "xml.etree.ElementTree"
    assert module_name(root / "os.py", root) == "os"


def test_source_slicing_edge_cases(tmp_path):
    code = (
        '"""Module doc."""\r\n'
        "import functools\r\n"
        "\f\r\n"
        "class Outer:\r\n"
        '    """Outer doc."""\r\n'
        "    @functools.cache\r\n"
        "    @staticmethod\r\n"
        "    def method(x):\r\n"
        '        """Method doc."""\r\n'
        '        s = """\r\n'
        "not indented\r\n"
        '"""\r\n'
        "        def inner():\r\n"
        "            nonlocal s\r\n"
        "            return s\r\n"
        "        return inner\r\n"
        "    async def empty(self):\r\n"
        '        """   """\r\n'
        "try:\r\n"
        "    pass\r\n"
        "except Exception:\r\n"
        "    def fallback(): return 1\r\n"
    )
    path = tmp_path / "mod.py"
    path.write_bytes(code.encode("utf-8"))
    recs = {r["id"]: r for r in _file_records(path, "pkg.mod")}
    assert set(recs) == {
        "pkg.mod::module_doc:1",
        "pkg.mod:Outer:class_doc:4",
        "pkg.mod:Outer.method:function_doc:8",
        "pkg.mod:Outer.method:function_source:8",
        "pkg.mod:Outer.method.<locals>.inner:function_source:13",
        "pkg.mod:Outer.empty:function_source:17",
        "pkg.mod:fallback:function_source:22",
    }
    method = recs["pkg.mod:Outer.method:function_source:8"]["text"]
    assert method.startswith("@functools.cache\n@staticmethod\ndef method(x):\n")
    assert '    s = """\nnot indented\n"""\n' in method  # the string's content is untouched
    _compile(method)
    assert recs["pkg.mod:Outer.method.<locals>.inner:function_source:13"]["text"] == (
        "def inner():\n    nonlocal s\n    return s\n"
    )
    assert recs["pkg.mod:fallback:function_source:22"]["text"] == "def fallback(): return 1\n"


def test_unreadable_files_are_skipped(tmp_path):
    bad_syntax = tmp_path / "bad.py"
    bad_syntax.write_text("def f(:\n")
    latin1 = tmp_path / "latin.py"
    latin1.write_bytes(b'"""caf\xe9"""\n')
    assert list(_file_records(bad_syntax, "bad")) == []
    assert list(_file_records(latin1, "latin")) == []
    assert list(_file_records(tmp_path / "missing.py", "missing")) == []


def test_write_jsonl_round_trip(tmp_path):
    records = stdlib_documents(n=50, seed=1) + [
        {"id": "x", "text": "caf\u00e9 \u2028 line\u2029sep\nnewline", "kind": "module_doc", "module": "m"}
    ]
    out = tmp_path / "demo.jsonl"
    out.write_text("old contents\n")
    assert write_jsonl(iter(records), out) == len(records)
    raw = out.read_text(encoding="utf-8")
    lines = raw.splitlines()  # splits at U+2028 too: those must be escaped
    assert len(lines) == len(records)
    assert [json.loads(line) for line in lines] == records
    assert os.listdir(tmp_path) == ["demo.jsonl"]
    assert write_jsonl([], out) == 0
    assert out.read_text() == ""


def test_write_jsonl_failure_keeps_old_file(tmp_path):
    out = tmp_path / "demo.jsonl"
    out.write_text("old\n")

    def rows():
        yield {"id": "a", "text": "t", "kind": "module_doc", "module": "m"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_jsonl(rows(), out)
    assert out.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["demo.jsonl"]

    with pytest.raises(TypeError):
        write_jsonl([{"id": object()}], Path(out))
    assert os.listdir(tmp_path) == ["demo.jsonl"]
