"""UMAP's numba functions compile once per machine: their on-disk cache is turned on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_umap_functions_get_an_on_disk_cache_in_the_folder_asked(tmp_path):
    code = (
        "from indexing.vectors import numba_cache\n"
        "turned = numba_cache.enable()\n"
        "import umap.layouts as L, umap.umap_ as U\n"
        "from numba.core import config\n"
        "print(turned, type(L._nb_optimize_layout_euclidean_single_epoch._cache).__name__,\n"
        "      type(U.smooth_knn_dist._cache).__name__, config.CACHE_DIR, numba_cache.enable())\n"
    )
    env = {"NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    turned, layout, knn, folder, again = result.stdout.split()
    assert int(turned) >= 10 and layout == knn == "FunctionCache"
    assert folder == str(tmp_path) and again == "0"  # once per process
