"""The one `faiss` module, whichever build provides it.

faiss-cpu and faiss-gpu-cu12 both install a module named `faiss`, so the project installs
exactly one of them, as an extra (`loupe[cpu]`, the default of `make setup`, or
`loupe[gpu]`). Without either, importing Loupe still works (a notebook that only reads
an export needs no FAISS); the first use of `faiss` raises a DependencyMissing that says
what to install, instead of an ImportError at some distant import.
"""

from __future__ import annotations

import warnings
from importlib import metadata

from indexing.errors import DependencyMissing

INSTALL = ("FAISS is not installed: install Loupe with one build of it, "
           "`pip install -e '.[cpu]'` (or `make setup`), or `.[gpu]` on a machine with CUDA 12")


class _NotInstalled:
    """Stands in for the module: any attribute says what to install."""

    def __getattr__(self, name: str):
        raise DependencyMissing(INSTALL)

    def __bool__(self) -> bool:
        return False


BUILDS = ("faiss-cpu", "faiss-gpu-cu12")


def installed_builds() -> list[str]:
    """The FAISS distributions installed (more than one: they overwrite each other's module)."""
    found = []
    for name in BUILDS:
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found


if len(installed_builds()) > 1:
    warnings.warn("both faiss-cpu and faiss-gpu-cu12 are installed and share one `faiss` module; make a fresh "
                  "environment with one of them (`make clean setup EXTRAS=gpu`)", stacklevel=2)

try:
    import faiss
except ImportError:  # neither extra installed
    faiss = _NotInstalled()

