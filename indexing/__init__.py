"""Loupe's engine: build, store, query, score and export a workspace.

No Streamlit or plotly here; everything is usable from a notebook. What a notebook or a
script needs is importable from here, so that the package's inner layout can change
without breaking them:

    from indexing import Workspace, classifiers, dedup, export, select_budget

    ws = Workspace.create("my-ws", id_field="id")     # or Workspace.open("my-ws")
    ws.index(["train.jsonl"])                          # -> IndexReport
    ws.search("parse a date", k=10), ws.select("tokens > 100"), ws.labels.add(ids, "quality", "bad")
    ws.more_like(ids, k=20, where="lang = 'en'"), ws.least_like(ids, k=20)   # search by example
    labelling_queue(ws, ids, "quality", order="nearest")
    classifiers.train(ws, "quality", positive="good", negative="bad")
    dedup.dedup(ws, "minhash", threshold=0.8)
    select_budget(ws, 5_000_000, where="dup_keep = true", order_by="score_quality")
    export(ws, "clean-v1", where="score_quality >= 0.5", format="parquet")
    diff_runs("my-ws/exports/clean-v1", "my-ws/exports/clean-v2").removed.by_reason

- Workspace, IndexReport: open, build and query a workspace
- LoupeError: the base of every error meant for a person (indexing.errors lists them:
  WorkspaceError, NotIndexedError, WorkspaceBusy, SourceError, IngestError, SelectionError,
  LabelError, ClassifierError, DedupError, SettingError, DiffError, ...); its message says what to do
- PRESETS, SUITES, compute_rules: the published rule suites (Gopher, C4, FineWeb)
- histogram: the counts and bin edges the filter panel draws for a column
- labelling_queue: which unlabelled documents to label next
- agreement: several annotators: author_counts, agreement (Cohen's kappa per pair), disagreements
- classifiers: train, rescore, load, list_classifiers, percentile_threshold, uncertain,
  likely_positive, export_fasttext
- dedup: dedup, groups_table, last_run, and the pure exact/minhash/semantic functions
- select_budget: the documents that fill a token budget, best first or balanced
- export, ExportResult: the curated subset with its manifest, all or nothing
- diff_runs, RunDiff: what run B (an export or an applied output) adds to and removes from
  run A, and why, by reason, cluster and language
- MapPlacer, Placement: new vectors placed on a workspace's fitted map and clusters
- ClusterNames: the names a curator gave clusters and topics (`ws.rename_cluster(3, "tax law")`,
  `ws.rename_cluster(1, "law", topic=True)`, `ws.cluster_names()`), kept with their clustering
- stdlib_documents, write_jsonl: a demo corpus from the standard library, offline

Each function's docstring says its arguments. Deeper modules (indexing.<stage>.<module>)
are the implementation: importable, but free to move.
"""

import os

__version__ = "0.1.0"

# Lance logs from Rust; its warnings (e.g. "creating a new dataset") are not for curators.
os.environ.setdefault("LANCE_LOG", "error")
os.environ.setdefault("LANCEDB_LOG", "error")

from indexing.errors import (  # noqa: E402
    ClassifierError, DedupError, DiffError, IngestError, LabelError, LoupeError, NotIndexedError, SelectionError,
    SettingError, SourceError, WorkspaceBusy, WorkspaceError,
)

# name -> (module, attribute; None: the module itself). Imported at first use (PEP 562): a
# process that needs one inner module (the app's model process, which must start in well
# under a second) does not pay for lancedb, scikit-learn and the rest.
_LAZY = {
    "classifiers": ("indexing.curate.classifiers", None),
    "dedup": ("indexing.curate.dedup", None),
    "agreement": ("indexing.curate.agreement", None),
    "select_budget": ("indexing.curate.budget", "select_budget"),
    "stdlib_documents": ("indexing.demo_corpus", "stdlib_documents"),
    "write_jsonl": ("indexing.demo_corpus", "write_jsonl"),
    "RunDiff": ("indexing.exports.diff", "RunDiff"),
    "diff_runs": ("indexing.exports.diff", "diff"),
    "ExportResult": ("indexing.exports.export", "ExportResult"),
    "export": ("indexing.exports.export", "export"),
    "histogram": ("indexing.curate.thresholds", "histogram"),
    "IndexReport": ("indexing.ingest.report", "IndexReport"),
    "labelling_queue": ("indexing.curate.queue", "labelling_queue"),
    "PRESETS": ("indexing.signals.rules", "PRESETS"),
    "SUITES": ("indexing.signals.rules", "SUITES"),
    "compute_rules": ("indexing.signals.rules", "compute_rules"),
    "Workspace": ("indexing.workspace.workspace", "Workspace"),
    "MapPlacer": ("indexing.vectors.placement", "MapPlacer"),
    "Placement": ("indexing.vectors.placement", "Placement"),
    "ClusterNames": ("indexing.curate.cluster_names", "ClusterNames"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'indexing' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    value = value if attribute is None else getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Workspace", "IndexReport", "LoupeError", "WorkspaceError", "NotIndexedError", "WorkspaceBusy", "SourceError",
    "IngestError", "SelectionError", "LabelError", "ClassifierError", "DedupError", "SettingError",
    "DiffError",
    "PRESETS", "SUITES", "compute_rules", "histogram", "labelling_queue",
    "classifiers", "dedup", "select_budget", "export", "ExportResult", "diff_runs", "RunDiff",
    "MapPlacer", "Placement", "ClusterNames",
    "agreement",
    "stdlib_documents", "write_jsonl", "__version__",
]
