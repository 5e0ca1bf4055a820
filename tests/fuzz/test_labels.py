"""Fuzzing label names and values (issue 8, defects 8 and 12's data; section 2, point 2).

Any text as a label name or value, through `ws.labels.add`, the label scheme and the
`loupe label` / `loupe info` commands: a LabelError (or the CLI's clean message), or
a label stored exactly as given that selections, the scheme and `info` then show.
A refused call stores nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from indexing.errors import LabelError
from tests.fuzz.strategies import LOUPE_NAMES, ODD_NAMES, examples, sql_string

names = st.one_of(st.sampled_from(LOUPE_NAMES + ODD_NAMES + ["quality", "topic", "Quality", "x" * 300]),
                  st.text(max_size=12), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True))
values = st.one_of(st.none(), st.sampled_from(["[/x]", "[red]ok[/red]", "![x](http://example.com/a.png)", "",
                                               " ", "a'b", "\x00", "x" * 5000, "<b>", "**b**"]),
                   st.text(max_size=30))


@pytest.fixture(scope="module")
def ws(indexed_template, tmp_path_factory):
    docs = [{"id": f"d{i}", "text": f"document number {i}", "n": i} for i in range(12)]
    return indexed_template(docs).copy(tmp_path_factory.mktemp("fuzz-labels-copy"))


def _events(ws) -> int:
    return ws.labels._events(columns=["doc_id"]).num_rows


@settings(max_examples=examples(60))
@given(name=names, value=values, ids=st.lists(st.sampled_from([f"d{i}" for i in range(12)]), min_size=1, max_size=4))
@example(name="quality", value="[/x]", ids=["d0"])
def test_label_add_any_name_and_value(ws, name, value, ids):
    before = _events(ws)
    try:
        ws.labels.add(ids, name, value, author="fuzz")
    except LabelError as error:
        assert str(error)
        assert _events(ws) == before, "a refused label stored events"
        return
    assert _events(ws) == before + len(set(ids))
    current = ws.labels.current(name)
    now = dict(zip(current["doc_id"].to_pylist(), current["value"].to_pylist()))
    for doc_id in ids:
        assert now.get(doc_id) == value, f"{doc_id} has {now.get(doc_id)!r}, not {value!r}"
    scheme = ws.label_scheme()
    if value is not None:
        assert value in scheme.get(name, []), f"{value!r} missing from the scheme {scheme.get(name)}"
        quoted = "`" + name.replace("`", "``") + "`"
        selected = set(ws.select(f"{quoted} = {sql_string(value)}"))
        assert set(ids) <= selected
    assert ws.info()["labels"] == ws.labels.counts()


@settings(max_examples=examples(40))
@given(scheme=st.dictionaries(names, st.lists(values.filter(lambda v: v is not None), max_size=4), max_size=3))
def test_label_scheme_any_names_and_values(ws, scheme):
    try:
        ws.save_label_scheme(scheme)
    except LabelError as error:
        assert str(error)
        return
    loaded = ws.label_scheme()
    for name, given_values in scheme.items():
        for value in given_values:
            if value.strip():
                assert value.strip() in loaded[name]


_PRINTABLE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc")),
                     min_size=1, max_size=20)


@settings(max_examples=examples(10))
@given(name=st.one_of(st.sampled_from(["quality", "topic", "[b]x", "a b"]), _PRINTABLE),
       value=st.one_of(st.sampled_from(["[/x]", "[red]ok[/red]", "[bold]", "\\[x]"]), _PRINTABLE))
@example(name="quality", value="[/x]")
@example(name="quality", value="[red]ok[/red]")
def test_cli_label_and_info_with_any_text(ws, name, value):
    """issue 8, defect 8: data is never Rich markup; `loupe label` either labels and says
    so with the value verbatim, or prints a clean error; `loupe info` works afterwards."""
    from app.cli import cli

    runner = CliRunner()
    labelled = runner.invoke(cli, ["label", "-w", str(ws.root), "--name", name, "--value", value, "--where", "n < 3"])
    assert labelled.exception is None or isinstance(labelled.exception, SystemExit), labelled.exception
    said = labelled.output + (labelled.stderr if labelled.stderr_bytes is not None else "")
    assert "Traceback" not in said
    if labelled.exit_code == 0:
        assert value in said, f"the value {value!r} was not printed verbatim: {said!r}"
    else:
        assert labelled.exit_code in (1, 2) and "error" in said.lower(), said
    shown = runner.invoke(cli, ["info", "-w", str(ws.root)])
    assert shown.exit_code == 0 and shown.exception is None, (shown.exception, shown.output)
    assert not re.search(r"Traceback|MarkupError", shown.output)
