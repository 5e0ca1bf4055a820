"""Rule suites and language end to end: `loupe index` writes them, `loupe signals` rewrites
them on an existing workspace (real model, real LanceDB, real FAISS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from indexing import Workspace
from indexing.curate.thresholds import as_float
from indexing.signals.language import LANGUAGE_COLUMNS
from indexing.signals.rules import PRESETS, RULE_COLUMNS, SUITES, compute_rules
from indexing.signals.rules.hits import preset_hits
from indexing.signals.compute import compute_signals
from tests.helpers import write_jsonl

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
C4_COLUMNS = list(SUITES["c4"].columns)
FRENCH = ("Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de raison "
          "et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité.")


def loupe(*args: str) -> subprocess.CompletedProcess:
    """The `loupe` console script (app.cli:main), as a user runs it."""
    return subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def _rows(stdlib_rows) -> list[dict]:
    """40 standard-library documents, a French one, a spam page and one whose source has
    fields named like signals."""
    return [dict(r) for r in stdlib_rows[:40]] + [
        {"id": "french", "text": FRENCH},
        {"id": "spam", "text": "\n".join(["BUY NOW cheap pills"] * 40)},
        {"id": "own-fields", "text": "A source that has its own fields named like Loupe's signals.",
         "gopher_word_count": "not a count", "lang": "xx"},
    ]


@pytest.fixture(scope="module")
def indexed(indexed_template, stdlib_rows) -> Path:
    """The rows indexed with the real all-MiniLM-L6-v2, once for the module (read only)."""
    return indexed_template(_rows(stdlib_rows), model=None).path


@pytest.fixture
def ws(indexed_workspace, stdlib_rows) -> Workspace:
    """A copy of `indexed` of the test's own."""
    return indexed_workspace(_rows(stdlib_rows), model=None)


def by_id(ws: Workspace, columns: list[str]) -> pa.Table:
    return ws.docs(columns=["id", "text", *columns]).sort_by("id")


def test_index_writes_every_rule_column_and_the_language(indexed):
    ws = Workspace.open(indexed)
    schema = ws.store.docs_schema()
    for column in (*RULE_COLUMNS, *LANGUAGE_COLUMNS):
        assert column in schema.names, column
    table = by_id(ws, [*RULE_COLUMNS, *LANGUAGE_COLUMNS, "gopher_word_count_src", "lang_src"])
    expected = compute_rules(table.column("text").to_pylist())
    for column in RULE_COLUMNS:  # what ingest stored is what the suites compute
        assert table.column(column).combine_chunks().equals(expected[column].cast(schema.field(column).type)), column
    rows = {row["id"]: row for row in table.to_pylist()}
    assert rows["french"]["lang"] == "fr" and rows["french"]["lang_score"] > 0.9
    assert rows["spam"]["lang"] == "en"
    assert all(0.0 <= row["lang_score"] <= 1.0 for row in rows.values())
    # a source field named like a signal is kept under <name>_src, the signal beside it
    assert rows["own-fields"]["gopher_word_count_src"] == "not a count"
    assert rows["own-fields"]["gopher_word_count"] == 11
    assert rows["own-fields"]["lang_src"] == "xx" and rows["own-fields"]["lang"] == "en"
    assert table.column("gopher_word_count").null_count == 0
    # the spam page fails the Gopher preset (no stop words, repeated lines)
    spam = rows["spam"]
    assert spam["gopher_stop_word_count"] == 0 and spam["gopher_dup_line_frac"] == 39 / 40


def test_signals_rewrites_a_suite_idempotently_and_repairs_missing_columns(ws):
    n = ws.count()
    gopher_before = by_id(ws, list(SUITES["gopher"].columns))
    ws.store.table("docs").drop_columns(C4_COLUMNS)  # as a kill between drop and merge leaves it
    assert not set(C4_COLUMNS) & set(ws.store.docs_schema().names)

    first = loupe("signals", "-w", str(ws.root), "--suite", "c4", "--no-language", "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["rows"] == n and result["suites"] == ["c4"] and result["language"] is False
    assert result["columns"] == C4_COLUMNS

    ws = Workspace.open(ws.root)
    table = by_id(ws, [*C4_COLUMNS, *SUITES["gopher"].columns])
    expected = compute_rules(table.column("text").to_pylist(), ["c4"])
    for column in C4_COLUMNS:
        assert table.column(column).combine_chunks().equals(expected[column]), column
    assert table.select(["id", *SUITES["gopher"].columns]).equals(gopher_before.select(["id", *SUITES["gopher"].columns]))
    hits = preset_hits("C4", PRESETS["C4"], {c: as_float(table.column(c)) for c in C4_COLUMNS})
    assert result["presets"] == [hits.as_dict()]
    assert hits.rules[2].removed >= 1  # the spam page has no sentence C4 keeps
    assert ws.state.stages["rules:c4"]["rows"] == n
    assert "language" not in ws.state.stages and "rules:gopher" not in ws.state.stages

    again = loupe("signals", "-w", str(ws.root), "--suite", "c4", "--no-language")
    assert again.returncode == 0, again.stderr
    assert "preset C4" in again.stderr and "by 2 or more rules" in again.stderr
    ws = Workspace.open(ws.root)
    assert ws.count() == n
    assert by_id(ws, C4_COLUMNS).equals(table.select(["id", "text", *C4_COLUMNS]))


def test_an_older_workspace_gains_the_columns_and_signals_fills_the_old_rows(ws, tmp_path, stdlib_rows):
    old = ws.count()
    ws.store.table("docs").drop_columns([*RULE_COLUMNS, *LANGUAGE_COLUMNS])  # as before rule suites existed
    more = write_jsonl(tmp_path / "more.jsonl", [dict(r) for r in stdlib_rows[100:103]])

    report = ws.index([more])
    assert report.rows_stored == 3
    assert any("loupe signals" in note for note in report.notes)
    table = ws.docs(columns=["id", "gopher_word_count", "lang"])
    assert table.column("gopher_word_count").null_count == old  # only the new rows have them
    assert table.column("lang").null_count == old

    result = compute_signals(ws)
    assert result.rows == old + 3 and result.suites == list(SUITES) and result.language
    table = by_id(ws, [*RULE_COLUMNS, *LANGUAGE_COLUMNS])
    expected = compute_rules(table.column("text").to_pylist())
    for column in RULE_COLUMNS:
        assert table.column(column).combine_chunks().equals(expected[column]), column
    assert table.column("lang").null_count == 0
    assert set(ws.state.stages) >= {"rules:gopher", "rules:c4", "rules:fineweb", "language"}
    assert [p.preset for p in result.presets] == ["Gopher", "C4", "FineWeb"]
    assert result.languages["en"] >= 40 and result.languages["fr"] == 1


def test_signals_refuses_an_unknown_suite_and_a_missing_workspace(indexed, tmp_path):
    unknown = loupe("signals", "-w", str(indexed), "--suite", "dolma")
    assert unknown.returncode == 1 and "unknown rule suite(s) 'dolma'" in unknown.stderr
    missing = loupe("signals", "-w", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "not a Loupe workspace" in missing.stderr
