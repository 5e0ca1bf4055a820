"""A folder of text files (.txt, .md): one record per file, its path as the id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from indexing.ingest.records import Record
from indexing.ingest.sources.base import Source, decode, dir_fingerprint

_TEXT = (".txt", ".md")


class TextDirSource(Source):
    """Every .txt and .md file below a directory, one record each, hidden entries skipped."""

    kind = "text"
    path_ids = True

    def _files(self) -> list[str]:
        """Relative POSIX paths, sorted, so that ordinals do not depend on the filesystem's order."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            rel_dir = os.path.relpath(dirpath, self.path)
            for name in filenames:
                if not name.startswith(".") and name.lower().endswith(_TEXT):
                    found.append(Path(rel_dir, name).as_posix())
        return sorted(found)

    def fingerprint(self) -> dict:
        return dir_fingerprint(self.path, self._files())

    def count(self) -> int:
        return len(self._files())

    def records(self, start: int = 0) -> Iterator[Record]:
        for ordinal, rel in enumerate(self._files()):
            if ordinal < start:
                continue
            file = os.path.join(self.path, rel)
            try:
                with open(file, "rb") as fh:
                    data = fh.read()
            except OSError as e:
                yield Record(ordinal, file, 1, error=f"cannot read file: {e.strerror or e}")
                continue
            text, lineno, error = decode(data)
            if error:
                yield Record(ordinal, file, lineno, error=error)
            else:
                yield Record(ordinal, file, 1, fields={"path": rel, self.text_field: text})
