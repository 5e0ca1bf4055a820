"""Data printed by the CLI is text, never rich markup (issue 8, defect 8).

Label values, ids, file and folder names, field names and predicates holding rich
markup (`[/x]`, `[red]ok[/red]`, `[link=...]`) or emoji codes (`:smile:`) must print
exactly as they are, and no command may end in a MarkupError, in its tables, its
messages or its errors. Runs the commands in this process (typer's CliRunner) on a
small workspace built with the hash test embedder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.helpers import write_jsonl

CLOSING = "[/x]"
RED = "[red]ok[/red]"
LINK = "[link=http://x]y[/link]"
EMOJI = ":smile:"
MARKUP = (CLOSING, RED, LINK, EMOJI)
NAME = "[red]ok [bold]:smile:"  # markup a file name can hold (no "/")


def run(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}\n{result.stderr}"
    return result


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    """Wide enough that no table cell wraps, so each value prints on one line."""
    from app import cli as cli_module

    for console in (cli_module.console, cli_module.out):
        monkeypatch.setattr(console, "width", 400)


@pytest.fixture()
def corpus(tmp_path, stdlib_rows) -> Path:
    """Documents whose ids and field values are markup, in a file and a folder named with markup."""
    rows = [{**r, "src": MARKUP[i % len(MARKUP)]} for i, r in enumerate(stdlib_rows[:36])]
    for row, doc_id in zip(rows, MARKUP):
        row["id"] = doc_id
    folder = tmp_path / f"data {NAME}"
    folder.mkdir()
    return write_jsonl(folder / f"c {NAME}.jsonl", rows)


@pytest.fixture()
def workspace(tmp_path, corpus) -> Path:
    ws = tmp_path / f"ws {NAME}"
    result = run("index", corpus, "-w", ws, "--model", "hash:32", "--id-field", "id", "-q")
    assert result.exit_code == 0, result.stderr
    assert "rows stored" in result.stderr
    return ws


def test_index_summary_prints_file_names_and_notes_literally(tmp_path, corpus, workspace):
    again = run("index", corpus, "-w", workspace, "-q")
    assert again.exit_code == 0, again.stderr
    assert f"{corpus}: already indexed, unchanged" in again.stderr
    bad = tmp_path / f"bad {NAME}.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\n{oops\n')
    result = run("index", bad, "-w", tmp_path / "ws2", "--model", "hash:32", "--id-field", "id", "-q")
    assert result.exit_code == 0, result.stderr
    assert f"{bad}:2" in result.stderr


def test_label_values_with_markup_are_stored_printed_and_shown_by_info(tmp_path, workspace):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(MARKUP) + "\n")
    for value in MARKUP:
        result = run("label", "-w", workspace, "--name", "quality", "--value", value, "--ids-file", ids)
        assert result.exit_code == 0, result.stderr
        assert f"labelled quality={value}: {len(MARKUP)} documents" in result.stderr
    ids.write_text(f"{CLOSING}\nnot {RED} here\n")
    partly = run("label", "-w", workspace, "--name", "quality", "--value", RED, "--ids-file", ids)
    assert partly.exit_code == 0, partly.stderr
    assert f"1 id(s) in {ids} are not in the workspace" in partly.stderr
    info = run("info", "-w", workspace)
    assert info.exit_code == 0, info.stderr
    assert f"{EMOJI}=3" in info.stdout and f"{RED}=1" in info.stdout
    assert f"workspace {workspace}" in info.stdout
    assert "src (string)" in info.stdout


def test_errors_that_quote_data_print_it_literally(workspace):
    result = run("label", "-w", workspace, "--name", "quality", "--value", "v", "--where", f"src = {CLOSING}")
    assert result.exit_code == 1
    assert "error:" in result.stderr and CLOSING in result.stderr
    bad_name = run("label", "-w", workspace, "--name", RED, "--value", "v", "--where", "tokens > 0")
    assert bad_name.exit_code == 1 and f"label name {RED!r} is not an identifier" in bad_name.stderr
    score = run("dedup", "-w", workspace, "--method", "exact", "--keep", "score", "--score-column", CLOSING, "-q")
    assert score.exit_code == 1 and CLOSING in score.stderr
    missing = run("info", "-w", Path(workspace).parent / f"no {NAME}")
    assert missing.exit_code == 1 and f"no {NAME}" in missing.stderr


def test_export_train_fasttext_and_budget_print_data_literally(tmp_path, workspace):
    out = tmp_path / f"out {NAME}"
    exported = run("export", "-w", workspace, "--out", out, "--where", f"src = '{CLOSING}'")
    assert exported.exit_code == 0, exported.stderr
    assert f"exported 9 documents" in exported.stderr and f"to {out};" in exported.stderr
    ids = tmp_path / "ids.txt"
    for value, where in ((CLOSING, f"src = '{CLOSING}'"), (RED, f"src = '{RED}'")):
        assert run("label", "-w", workspace, "--name", "quality", "--value", value, "--where", where).exit_code == 0
    trained = run("train", "-w", workspace, "--name", "quality", "--positive", CLOSING, "--negative", RED, "-q")
    assert trained.exit_code == 0, trained.stderr
    assert f"quality: {CLOSING!r} vs {RED!r}" in trained.stdout
    text = tmp_path / f"seeds {NAME}.txt"
    fasttext = run("fasttext", "-w", workspace, "--label", "quality", "--out", text)
    assert fasttext.exit_code == 0, fasttext.stderr
    assert f"wrote 18 labelled documents to {text}" in fasttext.stderr
    ids_out = tmp_path / f"ids {NAME}.txt"
    budget = run("budget", "-w", workspace, "--tokens", "100000", "--balance-by", "src", "--out-ids", ids_out)
    assert budget.exit_code == 0, budget.stderr
    for value in MARKUP:
        assert value in budget.stdout
    assert f"ids written to {ids_out}" in budget.stderr
    assert json.loads((out / "manifest.json").read_text())["kept"]["documents"] == 9


def test_app_startup_line_prints_the_workspace_literally(monkeypatch, workspace):
    import app.preload
    from streamlit.web import cli as streamlit_cli

    monkeypatch.setattr(app.preload, "preload", lambda path: None)
    monkeypatch.setattr(streamlit_cli, "main", lambda *args, **kwargs: None)
    result = run("app", "-w", workspace, "--port", "8599")
    assert result.exit_code == 0, result.stderr
    assert f"Loupe app on {workspace}: http://127.0.0.1:8599" in result.stderr
