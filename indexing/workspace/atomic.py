"""Writes that a kill cannot leave half done: a file or a folder appears whole, or not at all.

Every durable write of Loupe goes through here: `workspace.json`, the label scheme,
the FAISS pointer, id files (`atomic_writer`, `atomic_write_text`); an export folder
and a classifier folder (`swap_folder`); and the flushes under them (`fsync`,
`fsync_tree`). A file is written to a temporary name beside its target, fsynced and
renamed over it; a folder is written whole under a temporary name, every file in it
fsynced, then renamed into place and its parent fsynced.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator, TextIO


def fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to the disk."""
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """Flush every file and folder below `root`."""
    for folder, _, files in os.walk(root):
        for name in files:
            fsync(Path(folder) / name)
        fsync(Path(folder))


@contextmanager
def atomic_writer(path: Path, shared: bool = False) -> Iterator[TextIO]:
    """A UTF-8 text file that appears at `path` whole when the block ends, or not at all
    (readers see the old file or the new one, never half; a kill leaves only a temp file,
    an error not even that). `shared`: the usual mode of a new file (0666 less the umask)
    rather than the temporary file's 0600, for a file a user hands to other tools."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if shared:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old or the new file, never half."""
    with atomic_writer(path) as out:
        out.write(text)


def swap_folder(new: Path, final: Path, aside: Path | None = None) -> None:
    """Put the folder `new`, complete, at `final`: every file in it is flushed, it is
    renamed to `final` (one rename, atomic on a POSIX file system) and the parent flushed.

    With `aside`, a folder already at `final` is first renamed to `aside` (two renames:
    a kill between them leaves `aside` complete and no `final`, which the caller reads in
    its place and puts back; the caller removes `aside` once this returns); if the second
    rename fails, it is put back. Without `aside` nothing is ever replaced: a `final` that
    exists, or appears meanwhile, is a FileExistsError. On an error `new` is left for the
    caller to remove."""
    new, final = Path(new), Path(final)
    fsync_tree(new)
    if aside is None:
        if final.exists() or final.is_symlink():
            raise FileExistsError(f"{final} exists")
        try:
            os.rename(new, final)
        except OSError as error:
            if final.exists():
                raise FileExistsError(f"{final} exists") from error
            raise
    else:
        try:
            if final.exists():
                os.rename(final, aside)
            os.rename(new, final)
        except BaseException:
            if Path(aside).exists() and not final.exists():
                os.rename(aside, final)
            raise
    fsync(final.parent)


__all__ = ["atomic_write_text", "atomic_writer", "fsync", "fsync_tree", "swap_folder"]
