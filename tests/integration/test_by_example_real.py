"""Search by example with the real model, LanceDB and FAISS on standard-library documents:
a few tkinter dialog documents find more tkinter dialog documents, the least-like are far from
them, a labelled set's strays are its outliers, and the filter and the examples hold."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

TOPIC = ("tkinter.filedialog", "tkinter.simpledialog")


@pytest.fixture(scope="module")
def ws(indexed_template, tmp_path_factory, stdlib_rows):
    return indexed_template(stdlib_rows, model=None, map=False).copy(tmp_path_factory.mktemp("by-example"))


@pytest.fixture(scope="module")
def module_of(stdlib_rows) -> dict[str, str]:
    return {r["id"]: r["module"] for r in stdlib_rows}


def _of(rows, module: str, kinds=("function_doc", "class_doc")) -> list[str]:
    return [r["id"] for r in rows if r["module"] == module and r["kind"] in kinds]


def test_more_like_a_few_dialog_docs_finds_dialog_docs(ws, stdlib_rows, module_of):
    examples = _of(stdlib_rows, "tkinter.filedialog")[:3]
    assert len(examples) == 3
    found = ws.more_like(examples, k=10)
    ids = found["id"].to_pylist()
    assert len(ids) == 10 and not set(ids) & set(examples)
    on_topic = [i for i in ids if module_of[i] in TOPIC]
    assert len(on_topic) >= 7, [(i, module_of[i]) for i in ids]
    least = ws.least_like(examples, k=10)
    assert not [i for i in least["id"].to_pylist() if module_of[i] in TOPIC]
    assert max(least["_score"].to_pylist()) < min(found["_score"].to_pylist())


def test_the_filter_holds_and_the_examples_never_come_back(ws, stdlib_rows):
    examples = _of(stdlib_rows, "tkinter.simpledialog", kinds=("function_source",))[:4]
    kinds = {r["id"]: r["kind"] for r in stdlib_rows}
    for search in (ws.more_like, ws.least_like):
        found = search(examples, k=15, where="kind = 'function_doc'", columns=["id"])["id"].to_pylist()
        assert len(found) == 15 and {kinds[i] for i in found} == {"function_doc"}
        assert not set(found) & set(examples)
    ws.labels.add(examples, "topic", "dialogs")
    labelled = ws.select("topic = 'dialogs'")
    again = ws.more_like(labelled, k=20, where="topic != 'dialogs'", columns=["id"])["id"].to_pylist()
    assert len(again) == 20 and not set(again) & set(examples)


def test_the_strays_of_a_labelled_set_are_its_outliers(ws, stdlib_rows, module_of):
    dialogs = _of(stdlib_rows, "tkinter.filedialog") + _of(stdlib_rows, "tkinter.simpledialog")
    # two mislabelled documents among the dialogs: a pretty-printer's sort key, a charset's encoder
    strays = ["pprint:_safe_key:class_doc:80", "email.charset:Charset.body_encode:function_doc:370"]
    assert len(dialogs) >= 10 and set(strays) <= set(module_of)
    ws.labels.add(dialogs + strays, "kind_of", "dialogs")
    outliers = ws.least_like(ws.select("kind_of = 'dialogs'"), k=2, among="examples")
    assert set(outliers["id"].to_pylist()) == set(strays), [(i, module_of[i]) for i in outliers["id"].to_pylist()]
