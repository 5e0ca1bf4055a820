"""Parquet: read batch by batch; resume skips whole row groups unread."""

from __future__ import annotations

from collections.abc import Iterator

from indexing.errors import SourceError
from indexing.ingest.records import Record
from indexing.ingest.sources.base import Source

_BATCH = 1000  # rows converted to Python at a time


class ParquetSource(Source):
    """A Parquet file, read batch by batch; resume skips whole row groups unread."""

    kind = "parquet"

    def _open(self):
        import pyarrow.parquet as pq

        fh = self._open_binary()
        try:
            return fh, pq.ParquetFile(fh)
        except Exception as e:  # ArrowInvalid and friends: not a Parquet file
            fh.close()
            raise SourceError(self.path, f"not a readable Parquet file: {e}") from e

    def count(self) -> int:
        fh, pf = self._open()
        with fh:  # the row groups' counts, as records() walks them (a damaged footer may disagree)
            return sum(pf.metadata.row_group(g).num_rows for g in range(pf.metadata.num_row_groups))

    def records(self, start: int = 0) -> Iterator[Record]:
        fh, pf = self._open()
        with fh:
            first = 0  # ordinal of the row group's first row
            for group in range(pf.metadata.num_row_groups):
                rows = pf.metadata.row_group(group).num_rows
                if first + rows > start:  # row groups wholly before start are never read
                    yield from self._row_group(pf, group, first, first + rows, start)
                first += rows

    def _row_group(self, pf, group: int, first: int, end: int, start: int) -> Iterator[Record]:
        """Exactly the rows first..end-1 that the metadata promises: a damaged group that
        gives more is cut, one that gives fewer or breaks ends in error records, so ordinals
        stay in step with count() and resume."""
        import pyarrow as pa

        ordinal, why = first, f"row group {group} holds fewer rows than its metadata says"
        try:
            for batch in pf.iter_batches(batch_size=_BATCH, row_groups=[group]):
                batch = batch.slice(0, end - ordinal)
                skip = max(0, start - ordinal)
                if skip < batch.num_rows:  # batches before start are decoded but never converted
                    yield from self._converted(batch.slice(skip), ordinal + skip)
                ordinal += batch.num_rows
                if ordinal >= end:
                    break
        except (pa.ArrowException, OSError) as e:
            why = f"unreadable row group {group}: {' '.join(str(e).split())}"
        for i in range(max(ordinal, start), end):
            yield Record(i, self.path, i + 1, error=why)

    def _converted(self, batch, first: int) -> Iterator[Record]:
        """The rows of `batch` as records; a row whose bytes are not valid (a string that is
        not UTF-8, in a damaged or hand-made file) is an error record, the others are kept."""
        import pyarrow as pa

        try:
            rows = batch.to_pylist()
        except (ValueError, pa.ArrowException):  # UnicodeDecodeError is a ValueError
            rows = None
        for i in range(batch.num_rows):
            if rows is not None:
                yield Record(first + i, self.path, first + i + 1, fields=rows[i])
                continue
            try:
                yield Record(first + i, self.path, first + i + 1, fields=batch.slice(i, 1).to_pylist()[0])
            except (ValueError, pa.ArrowException) as e:
                reason = f"not UTF-8: {e}" if isinstance(e, UnicodeDecodeError) else f"unreadable row: {e}"
                yield Record(first + i, self.path, first + i + 1, error=reason)
