"""Per-machine caches made from a model: a distilled preview, an ONNX export.

Each entry is a folder named after what it was made from (the model's name, where it was
loaded from, the size and mtime of every file of a local model folder, and what the caller
adds: a format number, a library version), so a changed model or format gets a new folder,
never a misread one. An entry is built whole under a temporary name and renamed into place,
so a kill while building leaves no half entry. $LOUPE_CACHE_DIR moves `~/.cache/loupe`.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def cache_root(kind: str) -> Path:
    """$LOUPE_CACHE_DIR/<kind>, default ~/.cache/loupe/<kind>."""
    base = os.environ.get("LOUPE_CACHE_DIR") or str(Path.home() / ".cache" / "loupe")
    return Path(base) / kind


def local_stamp(location: str) -> list:
    """For a local folder, the size and mtime of each of its files: a changed model gets a
    new cache key (a hub name is keyed by its name alone, as the hub cache keeps it)."""
    folder = Path(location)
    if not folder.is_dir():
        return []
    return sorted([str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns]
                  for p in folder.rglob("*") if p.is_file())


def cache_key(base: str, location: str, **made_with) -> str:
    """The cache folder's name for model `base` loaded from `location`, made with `made_with`."""
    described = json.dumps({"base": base, "location": str(Path(location).resolve()) if Path(location).exists()
                            else location, "files": local_stamp(location), **made_with}, sort_keys=True)
    slug = "".join(c if c.isalnum() else "-" for c in base.rsplit("/", 1)[-1])[:40]
    return f"{slug}-{hashlib.sha256(described.encode()).hexdigest()[:16]}"


@contextmanager
def building(final: Path) -> Iterator[Path]:
    """A new empty folder to build the entry `final` in, put at `final` when the block ends
    without an error (another process that built it meanwhile wins; theirs is as good) and
    removed in any case. Leftovers of a killed build of `final` are removed first."""
    from indexing.workspace.atomic import swap_folder

    final.parent.mkdir(parents=True, exist_ok=True)
    for leftover in final.parent.glob(f".{final.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    new = final.parent / f".{final.name}.new-{secrets.token_hex(6)}"
    new.mkdir()
    try:
        yield new
        try:
            swap_folder(new, final)
        except FileExistsError:
            pass
    finally:
        shutil.rmtree(new, ignore_errors=True)
