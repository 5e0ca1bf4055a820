"""kill -9 at any moment, then the same command again: no duplicate, no missing row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexing import Workspace
from tests.helpers import write_jsonl

pytestmark = pytest.mark.integration
LOUPE = [sys.executable, "-m", "app.cli"]


def _start(corpus: Path, ws: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*LOUPE, "index", str(corpus), "-w", str(ws), "--id-field", "id", "--chunk-size", "32", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2],
    )


def _stored(ws: Path) -> int:
    try:
        return Workspace.open(ws).count()
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def _kill_when(ws: Path, process: subprocess.Popen, condition, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if condition():
            break
        time.sleep(0.05)
    assert process.poll() is None, "the index finished before it could be killed; make the corpus larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_kill_minus_nine_then_rerun_finishes_exactly(tmp_path, stdlib_rows):
    rows = [r for r in stdlib_rows if r["kind"] != "function_source"][:300]
    bad = [{"id": "no-text"}, {"id": rows[0]["id"], "text": "a duplicate id"}]
    corpus = write_jsonl(tmp_path / "docs.jsonl", rows[:150] + bad + rows[150:])
    ws = tmp_path / "ws"

    # 1. killed while ingesting, after some batches were committed
    first = _start(corpus, ws)
    _kill_when(ws, first, lambda: 0 < _stored(ws) < len(rows))
    after_first = _stored(ws)
    assert 0 < after_first < len(rows)

    # 2. resumed, killed again later in the ingest or in a later stage
    second = _start(corpus, ws)
    _kill_when(ws, second, lambda: _stored(ws) > after_first)

    # 3. resumed to the end
    third = _start(corpus, ws)
    output = third.communicate(timeout=300)[0].decode()
    assert third.returncode == 0, output

    workspace = Workspace.open(ws)
    ids = workspace.docs(columns=["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == len(rows)
    assert set(ids) == {r["id"] for r in rows}
    info = workspace.info()
    assert info["ready"], info["stages_done"]
    source = info["sources"][0]
    assert source["complete"] and source["stored"] == len(rows) and source["rejected"] == 2
    texts = dict(zip(ids, workspace.docs(columns=["text"]).column("text").to_pylist()))
    assert all(texts[r["id"]] == r["text"] for r in rows)


def test_kill_during_the_map_stage_is_repaired(tmp_path, stdlib_rows):
    corpus = write_jsonl(tmp_path / "docs.jsonl", stdlib_rows[:200])
    ws = tmp_path / "ws"
    process = _start(corpus, ws)

    def faiss_done() -> bool:
        state = ws / "workspace.json"
        return state.exists() and "faiss" in json.loads(state.read_text()).get("stages", {})

    _kill_when(ws, process, faiss_done)
    again = _start(corpus, ws)
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    workspace = Workspace.open(ws)
    assert workspace.info()["ready"]
    docs = workspace.docs(columns=["id", "x", "y", "cluster"])
    assert docs.num_rows == 200
    assert docs.column("x").null_count == 0 and docs.column("cluster").null_count == 0
