"""What a user reads when the disk refuses a write: the path, the OS's reason, what to do.

A full disk, a read-only folder or a name too long is not a bug in Loupe, so it is
shown as one line, never a traceback (LanceDB's own IO errors carry the errno only
in their text, as "os error 28", which is read too)."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

_HINTS = {
    errno.ENOSPC: "free some space and run it again",
    errno.EDQUOT: "free some space (the disk quota is used up) and run it again",
    errno.ENAMETOOLONG: "choose a shorter name",
    errno.EROFS: "choose a folder you can write to",
    errno.EACCES: "choose a folder you can write to",
    errno.EPERM: "choose a folder you can write to",
    errno.ENOENT: "check the path",
}
_LANCE_ERRNO = re.compile(r"os error (\d+)")


def os_error_message(error: OSError, path: str | Path | None = None) -> str:
    """`path: reason; what to do` for an OSError met while writing `path` (default: the
    file the error names)."""
    code = error.errno
    if code is None:
        found = _LANCE_ERRNO.search(str(error))
        code = int(found.group(1)) if found else None
    reason = error.strerror or str(error) or (os.strerror(code) if code else type(error).__name__)
    where = path if path is not None else error.filename
    hint = _HINTS.get(code, "check the disk and run it again")
    return f"{where}: {reason}; {hint}" if where else f"{reason}; {hint}"


__all__ = ["os_error_message"]
