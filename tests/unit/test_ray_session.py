"""Without the `ray` extra, Loupe imports and the Ray engine says what to install; the shape
of the model actors on a cluster with and without GPUs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from indexing import Workspace
from indexing.errors import DependencyMissing, SettingError
from tests.helpers import write_jsonl


@pytest.fixture
def no_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError


def test_the_engine_names_the_install_command(no_ray):
    from indexing.engines.ray_session import ray_module

    with pytest.raises(DependencyMissing, match=r"make setup EXTRAS=cpu,ray.*pip install 'loupe\[ray\]'"):
        ray_module()


def test_index_on_ray_without_ray_stores_nothing(no_ray, tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [{"id": str(i), "text": f"document {i}"} for i in range(5)])
    ws = Workspace.create(tmp_path / "ws", model="hash:16", id_field="id")
    with pytest.raises(DependencyMissing, match="EXTRAS=cpu,ray"):
        ws.index([source], engine="ray")
    assert ws.store.count() == 0
    ws.index([source])  # the local engine needs no Ray
    assert ws.count() == 5


def test_an_unknown_engine_is_a_setting_error(tmp_path):
    ws = Workspace.create(tmp_path / "ws", model="hash:16")
    with pytest.raises(SettingError, match="local, ray"):
        ws.index([], engine="spark")


def test_the_cli_says_it_without_a_traceback(no_ray, tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli

    source = write_jsonl(tmp_path / "a.jsonl", [{"text": "one document"}])
    result = CliRunner().invoke(cli, ["index", str(source), "-w", str(tmp_path / "ws"), "--model", "hash:16",
                                      "--engine", "ray", "--quiet"])
    assert result.exit_code != 0
    assert "EXTRAS=cpu,ray" in result.output and "Traceback" not in result.output


class _Cluster:
    def __init__(self, **resources):
        self.resources = resources

    def cluster_resources(self):
        return self.resources


def test_one_actor_per_gpu_else_one_per_cpu_but_one():
    from indexing.engines.ray_session import worker_shape

    assert worker_shape(_Cluster(CPU=64.0, GPU=8.0)) == (8, {"num_cpus": 1, "num_gpus": 1})
    assert worker_shape(_Cluster(CPU=64.0, GPU=8.0), device="cpu") == (63, {"num_cpus": 1})
    assert worker_shape(_Cluster(CPU=2.0)) == (1, {"num_cpus": 1})
    assert worker_shape(_Cluster(CPU=1.0)) == (1, {"num_cpus": 0.5})  # the tasks get the other half


def test_an_address_with_no_cluster_says_so(tmp_path):
    pytest.importorskip("ray")
    if os.environ.get("RAY_ADDRESS") or Path("/tmp/ray/ray_current_cluster").exists():
        pytest.skip("a Ray cluster is running on this machine: `auto` would attach to it")
    from indexing.engines.ray_session import ray_session

    with pytest.raises(SettingError, match="cannot attach to the Ray cluster at --address auto.*ray start --head"):
        with ray_session("auto"):
            pass
