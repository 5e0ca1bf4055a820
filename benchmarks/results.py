"""One way for every benchmark to write its JSON result, with one description of the machine.

Each script used to record its own idea of the machine (cpu count here, load average
there, the processor elsewhere); a result is only comparable with another when both say
the same things about where they ran, so `write_result` adds them, always the same way:

    {"benchmark": name, "at": UTC time, "machine": machine(), "commit": commit(), ...figures}

The figures are the script's own; what it prints is untouched.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def cpu_model() -> str:
    """The processor's name as /proc/cpuinfo gives it ("AMD EPYC 7B13"), else platform's."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def machine() -> dict:
    """Where a benchmark ran, at the moment it writes its result. `cpus_usable` is what this
    process may run on (a benchmark pinned to one core says 1); `load_average` (1, 5, 15
    minutes) above the core count means the machine was shared and the seconds inflated."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu": cpu_model(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "memory_bytes": _memory_bytes(),
        "load_average": load,
    }


def commit(root: Path = ROOT) -> str | None:
    """The commit measured, with "+dirty" when app/, components/ or indexing/ have local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "app", "components", "indexing"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return (head + ("+dirty" if dirty else "")) or None


def write_result(name: str, result: dict, out: str | Path | None = None) -> Path:
    """Write `result` to `out` (default benchmarks/out/<name>.json) under the common head;
    a `commit` already in `result` (another checkout measured) is kept. Returns the path."""
    path = Path(out) if out else OUT / f"{name}.json"
    head = {"benchmark": name, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(), "commit": result.get("commit", commit())}
    figures = {k: v for k, v in result.items() if k not in head}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**head, **figures}, indent=2, default=str) + "\n", encoding="utf-8")
    return path
