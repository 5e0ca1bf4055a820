"""Export: the curated subset of a workspace, as files with a manifest, all or nothing.

- export.py    export(): what is kept, read at one version, counted, and the manifest
- formats.py   the data files: JSONL, Parquet, a Hugging Face dataset
- folder.py    the temporary folder renamed whole; leftovers of killed exports removed
- run_folder.py  reading an export or an applied output back: manifest, a few columns, batch by batch
- diff.py      diff(): what run B adds to and removes from run A, and why (`loupe diff`)

The public entry points are the functions `export` and `diff` (as `diff_runs`), importable from
`indexing` (this package is named `exports` so that the function and the package never share
that name).
"""
