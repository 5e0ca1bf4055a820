"""The export folder: written under a temporary name, fsynced, then renamed whole
(the flush and the rename are `indexing.workspace.atomic.swap_folder`).

An export writes into `.<name>.tmp-<random>` beside its target, with a marker file
inside, and renames it to its final name only when every file is fsynced. A killed
export leaves its temporary folder behind; the next export into the same parent
removes such leftovers once nothing in them changed for an hour.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

MANIFEST = "manifest.json"
STALE_AFTER_S = 3600
MARKER = ".loupe-export-in-progress"
_TMP_NAME = re.compile(r"^\..+\.tmp-[0-9a-f]{16}$")



def _newest_change(root: Path) -> float:
    newest = root.stat().st_mtime
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            try:
                newest = max(newest, (Path(folder) / name).lstat().st_mtime)
            except OSError:
                pass
    return newest


def remove_stale_temporaries(parent: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove temporary export folders left by killed exports in `parent`.

    Only `.<name>.tmp-<hex>` folders holding Loupe's marker file (or, once complete
    but not yet renamed, its manifest), in which nothing
    has changed for `older_than_s` seconds, are removed (a younger one may belong to
    an export that is still running). Returns the folders removed.
    """
    removed = []
    if not Path(parent).is_dir():
        return removed
    now = time.time()
    for entry in Path(parent).iterdir():
        try:
            if not (_TMP_NAME.match(entry.name) and entry.is_dir() and not entry.is_symlink()
                    and ((entry / MARKER).is_file() or (entry / MANIFEST).is_file())):
                continue
            if now - _newest_change(entry) < older_than_s:
                continue
            shutil.rmtree(entry)
            removed.append(entry)
        except OSError:
            continue
    return removed


def default_name(exports: Path) -> str:
    """export-<UTC time>, with -2, -3... if that folder exists already."""
    base = "export-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (exports / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def check_name(name: str) -> None:
    """A ValueError unless `name` is a plain folder name."""
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
            or "\0" in name or name.startswith("."):
        raise ValueError(f"export name {name!r} must be a plain folder name (no '/', not starting with '.')")
