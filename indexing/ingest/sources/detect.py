"""Which reader a user's source path needs, decided before anything is read."""

from __future__ import annotations

import os
from pathlib import Path

from indexing.errors import SourceError
from indexing.ingest.sources.base import Source, os_reason
from indexing.ingest.sources.csv_file import SUFFIXES as CSV_SUFFIXES
from indexing.ingest.sources.csv_file import CsvSource
from indexing.ingest.sources.hf_dataset import HfSource
from indexing.ingest.sources.jsonl import SUFFIXES as JSONL_SUFFIXES
from indexing.ingest.sources.jsonl import JsonlSource
from indexing.ingest.sources.parquet import ParquetSource
from indexing.ingest.sources.text_files import TextDirSource

ACCEPTED = (
    ".jsonl, .ndjson (optionally .gz or .zst), .parquet, .csv, .csv.gz, "
    "a Hugging Face dataset saved with save_to_disk, or a directory of .txt/.md files"
)


def _kind_of(path: Path) -> type[Source] | None:
    if path.is_dir():
        if (path / "dataset_dict.json").is_file() or (
            (path / "dataset_info.json").is_file() and (path / "state.json").is_file()
        ):
            return HfSource
        return TextDirSource
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return JsonlSource
    if name.endswith(".parquet"):
        return ParquetSource
    if name.endswith(CSV_SUFFIXES):
        return CsvSource
    return None


def open_source(path: str | os.PathLike, text_field: str = "text") -> Source:
    """The reader for ``path``; fails early, with a reason a user can act on, if there is none."""
    shown = os.fspath(path)
    p = Path(shown)
    if not p.exists():
        raise SourceError(shown, "no such file or directory")
    if not (p.is_file() or p.is_dir()):
        raise SourceError(shown, "not a regular file or directory")
    reader = _kind_of(p)
    if reader is None:
        raise SourceError(shown, f"unknown format; accepted: {ACCEPTED}")
    try:
        if p.is_dir():
            with os.scandir(p):
                pass
        else:
            with open(p, "rb"):
                pass
    except OSError as e:
        raise SourceError(shown, os_reason(e)) from e
    return reader(shown, text_field=text_field)
