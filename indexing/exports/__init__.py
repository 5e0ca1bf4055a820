"""Export: the curated subset of a workspace, as files with a manifest, all or nothing.

- export.py    export(): what is kept, read at one version, counted, and the manifest
- formats.py   the data files: JSONL, Parquet, a Hugging Face dataset
- folder.py    the temporary folder renamed whole; leftovers of killed exports removed

The public entry point is the function `export`, importable from `indexing` (this package is
named `exports` so that the function and the package never share that name).
"""
