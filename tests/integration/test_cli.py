"""The `loupe` command line as a user runs it (real model, real storage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write_jsonl

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


def loupe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT, timeout=600)


INFO_KEYS = {"info_version", "path", "loupe_version", "docs", "columns", "model", "dimension", "text_field",
             "id_field", "stages_done", "ready", "stages", "sources", "clusters", "labels", "lance_version", "bytes"}


def test_demo_builds_an_indexed_workspace_and_info_reports_it(tmp_path):
    ws = tmp_path / "demo"
    result = loupe("demo", "-w", str(ws), "--docs", "120", "--no-app")
    assert result.returncode == 0, result.stderr
    assert "rows stored" in result.stderr and "120" in result.stderr
    info = json.loads(loupe("info", "-w", str(ws), "--json").stdout)
    assert set(info) == INFO_KEYS
    assert info["docs"] == 120 and info["ready"] and info["dimension"] == 384
    assert {"text", "kind", "module", "chars", "words", "lines", "tokens", "x", "y", "cluster"} <= set(info["columns"])
    assert info["labels"] == {} and info["clusters"] >= 2
    human = loupe("info", "-w", str(ws))
    assert human.returncode == 0 and "all-MiniLM-L6-v2" in human.stdout


def test_bad_records_show_in_the_summary_and_fail_mode_exits_nonzero(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "fine"}\n{oops\n{"text": "also fine"}\n')
    ws = tmp_path / "ws"
    failed = loupe("index", str(corpus), "-w", str(ws), "--model", "hash:16", "--on-error", "fail", "-q")
    assert failed.returncode == 1
    assert f"{corpus}:2: malformed JSON" in failed.stderr
    ok = loupe("index", str(corpus), "-w", str(ws), "-q")
    assert ok.returncode == 0, ok.stderr
    assert "malformed JSON" in ok.stderr and f"{corpus}:2" in ok.stderr
    assert json.loads(loupe("info", "-w", str(ws), "--json").stdout)["docs"] == 2


def test_options_that_contradict_the_workspace_are_refused(tmp_path, stdlib_rows):
    corpus = write_jsonl(tmp_path / "c.jsonl", stdlib_rows[:20])
    ws = tmp_path / "ws"
    assert loupe("index", str(corpus), "-w", str(ws), "--model", "hash:16", "-q").returncode == 0
    clash = loupe("index", str(corpus), "-w", str(ws), "--text-field", "body", "-q")
    assert clash.returncode == 1 and "--text-field" in clash.stderr
    missing = loupe("info", "-w", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "not a Loupe workspace" in missing.stderr
