"""Ingest: a user's sources become validated, typed rows of `docs`, in one streaming pass.

- sources/    one reader per format (JSONL, CSV, Parquet, text folders, HF datasets)
- records.py  what a reader yields: a record, or the reason it could not be read
- columns.py  source fields -> typed Arrow columns (safe names, inferred types, overflow)
- prefetch.py reading the next batch while the model embeds this one
- ingest.py   the pass: read, validate, signals, embed, store; resumable after a kill
- report.py   what a run is asked (IngestOptions) and what it tells (IndexReport)
"""
