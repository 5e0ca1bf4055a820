"""The model in a child process (`indexing.vectors.model_process`): the same vectors and token
counts as the model loaded in place, errors said in words, and no child left behind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import psutil
import pytest

from indexing.errors import WorkspaceError
from indexing.vectors.embedder import load_embedder
from indexing.vectors.model_process import ModelProcess

pytestmark = pytest.mark.integration

TEXTS = ["a path on disk", "", "zwei Zeilen\nin einem Text", "😀 an emoji", "x " * 2000]


@pytest.fixture()
def hashed():
    model = ModelProcess("hash:16")
    yield model
    model.close()


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_vectors_and_counts_are_the_model_s_own(hashed):
    local = load_embedder("hash:16")
    assert np.array_equal(hashed.encode(TEXTS), local.encode(TEXTS))
    assert hashed.count_tokens(TEXTS) == local.count_tokens(TEXTS)
    assert (hashed.name, hashed.dimension, hashed.max_tokens, hashed.device, hashed.fingerprint) == \
        (local.name, local.dimension, local.max_tokens, local.device, local.fingerprint)
    assert hashed.encode([]).shape == (0, 16)
    odd = ["a lone surrogate \ud800 travels as it is"]  # what the JSON pipe must carry unchanged
    assert np.array_equal(hashed.encode(odd), local.encode(odd))
    advanced = []
    hashed.encode(TEXTS[:2], advance=advanced.append)
    assert advanced == [2]


def test_the_real_model_gives_its_vectors_loaded_with_torch_then_from_its_export(tmp_path, monkeypatch):
    """The first child loads the model with torch and exports it meanwhile; the next loads
    the export, never torch (onnx_model.py), and answers the same."""
    monkeypatch.setenv("LOUPE_CACHE_DIR", str(tmp_path))
    local = load_embedder("all-MiniLM-L6-v2")
    for backend in ("torch", "onnx"):
        model = ModelProcess("all-MiniLM-L6-v2")
        try:
            assert model.backend == backend
            assert np.allclose(model.encode(TEXTS), local.encode(TEXTS), atol=1e-5)
            assert model.count_tokens(TEXTS) == local.count_tokens(TEXTS)
            assert (model.name, model.dimension, model.fingerprint) == (local.name, local.dimension, local.fingerprint)
            libraries = {m.path for m in psutil.Process(model.pid).memory_maps()}
            assert any("libtorch" in path for path in libraries) == (backend == "torch")
            if backend == "torch":  # the export runs beside the requests: wait for it
                deadline = time.monotonic() + 300
                while not list(tmp_path.glob("onnx/*/loupe.json")) and time.monotonic() < deadline:
                    time.sleep(0.5)
        finally:
            model.close()


def test_concurrent_requests_take_turns(hashed):
    from concurrent.futures import ThreadPoolExecutor

    local = load_embedder("hash:16")
    texts = [f"document number {i} about topic {i % 7}" for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: hashed.encode([t]), texts))
    assert np.array_equal(np.vstack(answers), local.encode(texts))


def test_a_model_that_does_not_load_is_a_clear_error_at_its_first_use(tmp_path):
    model = ModelProcess(str(tmp_path / "no such model"))
    try:
        with pytest.raises(WorkspaceError, match=r"could not be loaded: .*no such model"):
            model.encode(["x"])
        assert model.failed
        with pytest.raises(WorkspaceError, match="could not be loaded"):  # said again, not hung
            model.dimension
    finally:
        model.close()


def test_a_killed_model_process_is_a_clear_error_and_marked_failed(hashed):
    hashed.wait()
    assert not hashed.failed
    psutil.Process(hashed.pid).kill()
    assert _gone(hashed.pid, 10)
    with pytest.raises(WorkspaceError, match=r"stopped .*exit code -9"):
        hashed.encode(["x"])
    assert hashed.failed


def test_the_child_does_not_outlive_its_server():
    """A server killed outright runs no clean-up: the child sees its stdin close and exits."""
    script = textwrap.dedent("""
        import os
        from indexing.vectors.model_process import ModelProcess
        model = ModelProcess("hash:16").wait()
        print(model.pid, flush=True)
        os._exit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _gone(int(done.stdout.split()[0]), 10)


def test_close_stops_a_child_still_loading():
    model = ModelProcess("all-MiniLM-L6-v2")  # seconds of loading: close does not wait for them
    started = time.monotonic()
    model.close()
    assert time.monotonic() - started < 5 and model.failed and _gone(model.pid, 5)


def test_the_child_runs_this_loupe_whatever_the_working_folder_holds(tmp_path, monkeypatch):
    """`python -m` puts the working folder first on the path: a curator's project with a folder
    named `indexing` (or another Loupe checkout) would have been the child's code."""
    decoy = tmp_path / "indexing"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('the decoy package in the working folder')\n")
    monkeypatch.chdir(tmp_path)
    model = ModelProcess("hash:16")
    try:
        assert np.array_equal(model.encode(TEXTS), load_embedder("hash:16").encode(TEXTS))
    finally:
        model.close()
