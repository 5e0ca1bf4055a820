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


KILLED_IN_THE_REFRESH = """
import os, signal, sys
from indexing import Workspace, classifiers as classify
classify.rescore = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
Workspace.open(sys.argv[1]).index([sys.argv[2]])
"""


def test_kill_during_the_refresh_is_repaired_by_index_without_sources(tmp_path, stdlib_rows):
    """issue 8, defect 3: `loupe index` killed in the refresh after adding rows (rescoring,
    re-running the last dedup) left `info` ready and the new rows' score and dup_keep null,
    so `dup_keep = true` dropped them; `loupe index -w WS` alone now finishes it."""
    from indexing import dedup
    from indexing.curate.classifiers import train

    rows = stdlib_rows[:60]
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    ws.index([write_jsonl(tmp_path / "first.jsonl", rows[:40])])
    ids = [r["id"] for r in rows[:40]]
    ws.labels.add(ids[:5], "quality", "good")
    ws.labels.add(ids[5:10], "quality", "bad")
    train(ws, "quality")
    dedup.dedup(ws, "exact")
    second = write_jsonl(tmp_path / "second.jsonl", rows[40:])

    killed = subprocess.run([sys.executable, "-c", KILLED_IN_THE_REFRESH, str(ws.root), str(second)],
                            cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    workspace = Workspace.open(ws.root)
    assert workspace.count() == 60 and not workspace.info()["ready"]
    assert workspace.count("dup_keep = true") < 40  # what the user would have exported

    again = subprocess.run([*LOUPE, "index", "-w", str(ws.root), "-q"], cwd=Path(__file__).parents[2],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    workspace = Workspace.open(ws.root)
    assert workspace.info()["ready"]
    docs = workspace.docs(columns=["score_quality", "dup_keep"])
    assert docs.column("score_quality").null_count == 0 and docs.column("dup_keep").null_count == 0
    assert workspace.count("dup_keep = true") >= 40
