"""A Hugging Face dataset written by save_to_disk (a Dataset or a DatasetDict)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from indexing.errors import SourceError
from indexing.ingest.records import Record
from indexing.ingest.sources.base import Source, dir_fingerprint

_BATCH = 1000  # rows converted to Python at a time


class HfSource(Source):
    """A Dataset or DatasetDict written by save_to_disk; a DatasetDict's splits come in sorted order."""

    kind = "hf"

    def _splits(self) -> list[tuple[str | None, Any]]:
        import datasets  # slow to import; only this reader needs it

        try:
            loaded = datasets.load_from_disk(self.path)
        except Exception as e:
            raise SourceError(self.path, f"not a readable Hugging Face dataset: {e}") from e
        if isinstance(loaded, datasets.DatasetDict):
            return [(name, loaded[name]) for name in sorted(loaded)]
        return [(None, loaded)]

    def fingerprint(self) -> dict:
        walk = os.walk(self.path)
        files = [os.path.relpath(os.path.join(d, f), self.path) for d, _, names in walk for f in names]
        return dir_fingerprint(self.path, files)

    def count(self) -> int:
        return sum(ds.num_rows for _, ds in self._splits())

    def records(self, start: int = 0) -> Iterator[Record]:
        first = 0  # ordinal of the current split's first row
        for split, ds in self._splits():
            file = self.path if split is None else f"{self.path}[{split}]"
            table = ds.with_format("arrow")  # plain Python values, converted a batch at a time
            for offset in range(max(0, start - first), ds.num_rows, _BATCH):
                for row_index, row in enumerate(table[offset : offset + _BATCH].to_pylist(), offset):
                    if split is not None:
                        row["split"] = split
                    yield Record(first + row_index, file, row_index + 1, fields=row)
            first += ds.num_rows
