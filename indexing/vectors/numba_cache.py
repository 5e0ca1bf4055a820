"""UMAP's numba compilation paid once per machine, not once per run.

umap-learn compiles its graph and layout functions with numba the first time a process
fits a map (about 20 s on a 2-core CPU, more than the fit of a few thousand documents),
and most of them are not declared `cache=True`, so every `loupe index` paid it again.
Numba can keep compiled machine code on disk for any of its functions: before the first
fit, this turns that cache on for every numba function of umap-learn and pynndescent, in
a per-user folder (NUMBA_CACHE_DIR, default ~/.cache/loupe/numba) so that read-only
site-packages do not matter. Numba checks each entry against the function's source and
the CPU, so a changed library or another machine recompiles rather than misbehaves.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR = Path.home() / ".cache" / "loupe" / "numba"
_MODULES = ("umap.umap_", "umap.layouts", "umap.utils", "umap.distances", "umap.spectral",
            "pynndescent.pynndescent_", "pynndescent.utils", "pynndescent.distances", "pynndescent.rp_trees")
_done = False


def set_cache_dir() -> None:
    """Point numba's cache at the per-user folder (before numba reads its configuration)."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE_DIR))


def enable() -> int:
    """Turn numba's on-disk cache on for umap-learn's and pynndescent's functions (once per
    process); returns how many it turned on. A function numba cannot cache is left as is."""
    global _done
    if _done:
        return 0
    _done = True
    set_cache_dir()
    import importlib

    from numba.core import config
    from numba.core.dispatcher import Dispatcher

    if not config.CACHE_DIR:  # numba was imported before the variable was set
        config.reload_config()
    turned = 0
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and type(value._cache).__name__ == "NullCache":
                try:
                    value.enable_caching()
                    turned += 1
                except Exception:  # noqa: BLE001 - a function numba refuses to cache just compiles each time
                    pass
    return turned
