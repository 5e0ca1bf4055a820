"""Executors of the ingest pass and of `loupe apply`'s pass 1 other than this process.

The stage code is the local engine's (indexing.ingest, indexing.apply); an engine only
decides where it runs. `ray` is the one other today: ray_session.py starts or attaches a
Ray cluster, ray_index.py runs `loupe index`'s pass, ray_apply.py `loupe apply`'s pass 1.
`import ray` happens only in this package, and only when the engine is asked for.
"""

from __future__ import annotations

from indexing.errors import SettingError

ENGINES = ("local", "ray")


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise SettingError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
