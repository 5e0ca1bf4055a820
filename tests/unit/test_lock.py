"""Unit tests for indexing.workspace.lock: one writer per workspace, visible to is_busy, gone with its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from indexing.workspace import lock
from indexing.workspace.lock import LOCK_FILE, is_busy, writer_lock
from indexing.errors import WorkspaceBusy

# The holder loads lock.py by path: it needs only the standard library, and importing the
# `indexing` package (LanceDB, torch...) would cost seconds per process.
HOLDER = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("loupe_lock", sys.argv[1])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with mod.writer_lock(sys.argv[2]):
        print("locked", flush=True)
        sys.stdin.readline()  # hold until told (or killed)
    print("released", flush=True)
    """
)


@pytest.fixture
def holder(tmp_path):
    """Start a process that holds the workspace's writer lock; yields the Popen."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lock.__file__, str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdin.close()
        proc.stdout.close()


def test_not_busy_without_lock_file(tmp_path):
    assert is_busy(tmp_path) is False
    assert not (tmp_path / LOCK_FILE).exists()  # is_busy creates nothing


def test_held_in_process_then_released(tmp_path):
    with writer_lock(tmp_path):
        assert is_busy(tmp_path) is True
        assert (tmp_path / LOCK_FILE).read_text() == f"pid {os.getpid()}"
    assert is_busy(tmp_path) is False
    assert (tmp_path / LOCK_FILE).read_text() == ""


def test_second_holder_in_same_process_is_refused(tmp_path):
    with writer_lock(tmp_path):
        with pytest.raises(WorkspaceBusy) as info:
            with writer_lock(tmp_path):
                pass
        assert str(info.value) == f"{tmp_path} is being indexed by pid {os.getpid()}; wait for it to finish"
        assert is_busy(tmp_path) is True  # the refused attempt did not release the first
    assert is_busy(tmp_path) is False


def test_exception_in_block_releases(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with writer_lock(tmp_path):
            1 / 0
    assert is_busy(tmp_path) is False
    with writer_lock(tmp_path):
        pass


def test_other_process_excludes_us(tmp_path, holder):
    assert is_busy(tmp_path) is True
    with pytest.raises(WorkspaceBusy) as info:
        with writer_lock(tmp_path):
            pytest.fail("acquired a lock held by another process")
    assert str(info.value) == f"{tmp_path} is being indexed by pid {holder.pid}; wait for it to finish"
    assert is_busy(tmp_path) is True


def test_released_when_holder_finishes(tmp_path, holder):
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.stdout.readline() == "released\n"
    assert holder.wait(timeout=10) == 0
    assert is_busy(tmp_path) is False
    with writer_lock(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text() == f"pid {os.getpid()}"


def test_released_when_holder_killed(tmp_path, holder):
    assert is_busy(tmp_path) is True
    os.kill(holder.pid, signal.SIGKILL)
    assert holder.wait(timeout=10) == -signal.SIGKILL
    # the stale "pid N" text is still in the file, but the lock died with the process
    assert (tmp_path / LOCK_FILE).read_text() == f"pid {holder.pid}"
    assert is_busy(tmp_path) is False
    with writer_lock(tmp_path):
        assert is_busy(tmp_path) is True
        assert (tmp_path / LOCK_FILE).read_text() == f"pid {os.getpid()}"
    assert is_busy(tmp_path) is False
