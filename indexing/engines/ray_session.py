"""Starting or attaching Ray for one run, and how many workers embed on it.

`address=None` starts a local Ray (the CPUs given, or all) for the run and stops it after;
"auto" or "ray://host:port" attaches to a running cluster and leaves it running. A Ray
already started in this process (a notebook, the tests) is used as it is.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from typing import Iterator

from indexing.errors import DependencyMissing, SettingError

INSTALL = ("the Ray engine needs Ray, which is not installed: `make setup EXTRAS=cpu,ray` "
           "(or `pip install 'loupe[ray]'`), on every node of the cluster")


def ray_module():
    """The `ray` module, or DependencyMissing that says how to install it."""
    try:
        import ray
    except ImportError:
        raise DependencyMissing(INSTALL) from None
    return ray


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[object]:
    ray = ray_module()
    if ray.is_initialized():
        yield ray
        return
    options = dict(include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
                   logging_level=logging.ERROR)  # Ray's start-up notes are not the user's business
    with warnings.catch_warnings():
        # Ray starts its processes with fork + exec, which lancedb warns about for any fork
        warnings.filterwarnings("ignore", message="lancedb fork support", category=RuntimeWarning)
        if address is None:
            ray.init(num_cpus=num_cpus, **options)
        else:
            try:
                ray.init(address=address, **options)
            except (ConnectionError, ValueError, RuntimeError) as error:  # no cluster, or no Ray Client
                raise SettingError(
                    f"cannot attach to the Ray cluster at --address {address}: {error} Start it first "
                    "(`ray start --head` on its head node), or leave --address out for a Ray on this machine"
                ) from None
    try:
        yield ray
    finally:
        ray.shutdown()


# A chunk's signals, or its pass-2 tables: light next to the model, and never blocked by it.
TASK_CPUS = 0.5


def worker_shape(ray, device: str = "auto") -> tuple[int, dict]:
    """How many model actors, and each one's resources: one GPU each where the cluster has
    GPUs (and `device` allows), else one CPU each, leaving one CPU for the tasks (on a
    one-CPU cluster the actor and the tasks share it, or the tasks would wait forever)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus and device != "cpu":
        return gpus, {"num_cpus": 1, "num_gpus": 1}
    cpus = int(resources.get("CPU", 1))
    return max(1, cpus - 1), {"num_cpus": 1 if cpus >= 2 else TASK_CPUS}


def window(actors: int) -> int:
    """Chunks in flight: enough to keep every actor busy while the driver commits in order."""
    return 2 * actors + 2
