"""Sources -> chunks of validated records, as `loupe index` reads them, resumable by ordinal.

A source is read in ordinal order and cut into chunks of `chunk_size` good records, as
ingest cuts it, so the model sees the same batches and gives the same vectors. A chunk
is a task (`work.py`); a resumed run starts each source after the last ordinal its last
finished task read, which is where the uninterrupted run's next chunk starts too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from indexing.errors import SourceError
from indexing.ingest.ingest import id_prefix, takes
from indexing.ingest.records import Record, Rejection
from indexing.ingest.sources import Source, open_source
from indexing.ingest.validate import validate
from indexing.recipes.recipe import Reading

CHUNK_SIZE = 1024  # as IngestOptions.chunk_size: the same chunks give the same embedding batches


@dataclass
class Chunk:
    """Good records of one chunk of one source, and the records it rejected."""

    source: int
    number: int
    rows: list[tuple[str, str, Record]] = field(default_factory=list)  # (id, text, record)
    rejections: list[Rejection] = field(default_factory=list)
    next_ordinal: int = 0
    records: int = 0  # records read (good and rejected)
    last: bool = False

    @property
    def name(self) -> str:
        return f"s{self.source:05d}-c{self.number:07d}"


@dataclass
class Planned:
    source: Source
    total: int
    take: int | frozenset[int] | None

    def selected(self) -> int:
        if self.take is None:
            return self.total
        return min(self.take, self.total) if isinstance(self.take, int) else len(self.take)


def plan(paths: list[str], reading: Reading, limit: int | None, sample: int | None, seed: int) -> list[Planned]:
    """Open every source (SourceError for one that cannot be read at all) and count it."""
    sources = [open_source(path, reading.text_field) for path in paths]
    totals = [s.count() for s in sources]
    return [Planned(s, t, take) for s, t, take in zip(sources, totals, takes(totals, limit, sample, seed))]


def chunks(planned: list[Planned], reading: Reading, resume: dict[int, tuple[int, int, bool]], seen,
           advance=lambda n: None, chunk_size: int | None = None) -> Iterator[Chunk]:
    """The chunks not done yet, source by source. `resume[source] = (next chunk number,
    next ordinal, source finished)` from the tasks done; `seen` the ids met so far."""
    chunk_size = chunk_size or CHUNK_SIZE
    for index, item in enumerate(planned):
        number, start, finished = resume.get(index, (0, 0, False))
        if finished:
            continue
        source, take = item.source, item.take
        prefix = id_prefix(source.path)
        chunk = Chunk(index, number)
        try:
            for record in source.records(start):
                if isinstance(take, int) and record.ordinal >= take:
                    break
                if take is not None and not isinstance(take, int) and record.ordinal not in take:
                    chunk.next_ordinal = record.ordinal + 1
                    continue
                chunk.records += 1
                chunk.next_ordinal = record.ordinal + 1
                advance(1)
                good = validate(record, text_field=reading.text_field, id_field=reading.id_field,
                                max_chars=reading.max_chars, source_path=source.path, path_ids=source.path_ids,
                                id_prefix=prefix, seen=seen)
                if isinstance(good, Rejection):
                    chunk.rejections.append(good)
                else:
                    chunk.rows.append((*good, record))
                if len(chunk.rows) >= chunk_size:
                    yield chunk
                    chunk = Chunk(index, chunk.number + 1, next_ordinal=chunk.next_ordinal)
        except SourceError as error:
            chunk.rejections.append(Rejection(source.path, 0, "unreadable source", error.reason))
        chunk.last = True
        if chunk.next_ordinal == 0:
            chunk.next_ordinal = start
        yield chunk
