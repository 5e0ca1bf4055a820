"""Readers that turn a user's source path into a stream of ``Record``s, one module per format.

Every reader numbers its records from 0 in a fixed order, so that an ingest
which stopped at ordinal N can resume with ``records(N)`` and get exactly the
records it has not stored yet. A bad record never stops a reader: it becomes a
``Record`` with ``error`` set, and the reader carries on. Only a source that
cannot be opened at all raises ``SourceError``.

- base.py        the Source interface; opening gzip/zstd; UTF-8 decoding
- jsonl.py       .jsonl, .ndjson (optionally .gz or .zst)
- parquet.py     .parquet, batch by batch
- csv_file.py    .csv, .csv.gz, with a header row and inferred column types
- text_files.py  a folder of .txt/.md files
- hf_dataset.py  a Hugging Face dataset saved with save_to_disk
- detect.py      open_source: which of these a path needs

A new format is one module here with a `Source` subclass, and one line in detect.py.
"""

from indexing.ingest.sources.base import Source
from indexing.ingest.sources.csv_file import CsvSource
from indexing.ingest.sources.detect import ACCEPTED, open_source
from indexing.ingest.sources.hf_dataset import HfSource
from indexing.ingest.sources.jsonl import JsonlSource
from indexing.ingest.sources.parquet import ParquetSource
from indexing.ingest.sources.text_files import TextDirSource

__all__ = ["ACCEPTED", "Source", "JsonlSource", "ParquetSource", "CsvSource", "TextDirSource", "HfSource",
           "open_source"]
