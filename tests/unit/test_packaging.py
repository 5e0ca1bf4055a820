"""One FAISS build at a time: faiss-cpu and faiss-gpu-cu12 both provide the module `faiss`."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_faiss_is_an_extra_on_both_sides_and_setup_takes_the_cpu_build():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not {n for n in _names(project["dependencies"]) if n.startswith("faiss")}
    assert _names(extras["cpu"]) == {"faiss-cpu"}
    assert "faiss-gpu-cu12" in _names(extras["gpu"]) and "faiss-cpu" not in _names(extras["gpu"])
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^EXTRAS \?= cpu$", makefile, re.M) and '".[test,$(EXTRAS)]"' in makefile


def test_without_faiss_loupe_imports_and_the_first_use_says_what_to_install():
    code = (
        "import sys; sys.modules['faiss'] = None\n"  # as if neither extra were installed
        "import indexing, indexing.vectors.vector_index as v\n"
        "from indexing.errors import DependencyMissing\n"
        "try:\n    v.faiss.IndexFlatIP(4)\nexcept DependencyMissing as e:\n    print('missing:', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "missing: FAISS is not installed" in result.stdout and ".[cpu]" in result.stdout
