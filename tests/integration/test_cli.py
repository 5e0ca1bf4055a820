"""The `loupe` command line as a user runs it (real model, real storage)."""

from __future__ import annotations

import json
import shutil
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
             "id_field", "stages_done", "ready", "stages", "sources", "clusters", "placed", "labels", "lance_version",
             "bytes", "fields", "preview", "preview_note", "topics"}


def test_demo_builds_an_indexed_workspace_and_info_reports_it(tmp_path):
    ws = tmp_path / "demo"
    result = loupe("demo", "-w", str(ws), "--docs", "120", "--no-app")
    assert result.returncode == 0, result.stderr
    assert "rows stored" in result.stderr and "120" in result.stderr
    info = json.loads(loupe("info", "-w", str(ws), "--json").stdout)
    assert set(info) == INFO_KEYS
    assert info["docs"] == 120 and info["ready"] and info["dimension"] == 384
    assert info["preview"] is False and info["preview_note"] is None
    assert {"text", "kind", "module", "chars", "words", "lines", "tokens", "x", "y", "cluster"} <= set(info["columns"])
    assert info["labels"] == {} and info["clusters"] >= 2 and info["placed"] == 0
    assert 1 <= info["topics"] <= info["clusters"] and info["stages"]["cluster"]["topics"] == info["topics"]
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


def test_renamed_fields_show_in_the_summary_and_in_info(tmp_path):
    """issue 8, defect 1: a repeated CSV header aborted `loupe index`; the mapping to safe
    column names is said in the summary and shown by `loupe info`."""
    corpus = tmp_path / "c.csv"
    corpus.write_text("text,tag,tag,[b]x\nfirst,a,b,c\nsecond,c,d,e\n", encoding="utf-8")
    ws = tmp_path / "ws"
    result = loupe("index", str(corpus), "-w", str(ws), "--model", "hash:16", "-q", "--max-fields", "2")
    assert result.returncode == 0, result.stderr
    assert "field 'tag.1' stored as column 'tag_1'" in result.stderr
    assert "column 'extra_fields'" in result.stderr
    info = json.loads(loupe("info", "-w", str(ws), "--json").stdout)
    assert info["fields"] == {"tag": "tag", "tag.1": "tag_1"}
    human = loupe("info", "-w", str(ws))
    assert human.returncode == 0, human.stderr
    assert "tag.1 -> tag_1" in human.stdout


def test_options_that_contradict_the_workspace_are_refused(tmp_path, stdlib_rows):
    corpus = write_jsonl(tmp_path / "c.jsonl", stdlib_rows[:20])
    ws = tmp_path / "ws"
    assert loupe("index", str(corpus), "-w", str(ws), "--model", "hash:16", "-q").returncode == 0
    clash = loupe("index", str(corpus), "-w", str(ws), "--text-field", "body", "-q")
    assert clash.returncode == 1 and "--text-field" in clash.stderr
    missing = loupe("info", "-w", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "not a Loupe workspace" in missing.stderr


def test_label_then_export_the_kept_documents(tmp_path, stdlib_rows):
    corpus = write_jsonl(tmp_path / "c.jsonl", stdlib_rows[:60])
    ws = tmp_path / "ws"
    assert loupe("index", str(corpus), "-w", str(ws), "--model", "hash:16", "--id-field", "id", "-q").returncode == 0
    short = [r["id"] for r in stdlib_rows[:60] if len(r["text"].split()) < 15]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(short[:5]) + "\n")
    good = loupe("label", "-w", str(ws), "--name", "quality", "--value", "good", "--where", "kind = 'class_doc'")
    classes = sum(1 for r in stdlib_rows[:60] if r["kind"] == "class_doc")
    assert good.returncode == (0 if classes else 1)
    labelled = loupe("label", "-w", str(ws), "--name", "quality", "--value", "bad", "--ids-file", str(ids_file))
    assert labelled.returncode == 0 and "5 documents" in labelled.stderr
    info = json.loads(loupe("info", "-w", str(ws), "--json").stdout)
    assert info["labels"]["quality"]["bad"] == 5
    out = tmp_path / "kept"
    exported = loupe("export", "-w", str(ws), "--where", "quality != 'bad'", "--format", "jsonl", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for f in sorted(out.glob("*.jsonl")) for line in f.read_text().splitlines()]
    assert len(rows) == 55 and not {r["id"] for r in rows} & set(short[:5])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["predicate"] == "quality != 'bad'" and manifest["kept"]["documents"] == 55
    assert manifest["removed"]["documents"] == 5 and manifest["labels"]["quality"]["bad"] == 5
    assert manifest["labels"]["quality"].get("good", 0) == sum(
        1 for r in stdlib_rows[:60] if r["kind"] == "class_doc" and r["id"] not in short[:5])
    again = loupe("export", "-w", str(ws), "--out", str(out))
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = loupe("label", "-w", str(ws), "--name", "quality", "--value", "x", "--where", "nope > 1")
    assert bad.returncode == 1 and "Available columns" in bad.stderr


def test_app_serves_on_loopback_only(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "app", "-w", str(tmp_path / "none"), "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.time() + 60, ""
        while time.time() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read().decode()
            except OSError:
                time.sleep(0.5)
        assert body == "ok"
        if shutil.which("ss"):
            listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
            bound = [line for line in listening.splitlines() if f":{port} " in line]
            assert bound and all("127.0.0.1:" in line for line in bound)
        with pytest.raises(OSError):  # nothing answers on another address of this machine
            other = socket.gethostbyname(socket.gethostname())
            if other.startswith("127."):
                raise OSError("no non-loopback address to try")
            urllib.request.urlopen(f"http://{other}:{port}/_stcore/health", timeout=2)
    finally:
        process.terminate()
        process.wait(timeout=30)
