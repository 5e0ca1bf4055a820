"""Loupe's engine: build, store, query and (later) score and export a workspace.

No Streamlit or plotly here; everything is usable from a notebook.
"""

import os

__version__ = "0.1.0"

# Lance logs from Rust; its warnings (e.g. "creating a new dataset") are not for curators.
os.environ.setdefault("LANCE_LOG", "error")
os.environ.setdefault("LANCEDB_LOG", "error")

from .ingest import IndexReport, IngestError  # noqa: E402
from .workspace import Workspace, WorkspaceError  # noqa: E402

__all__ = ["Workspace", "WorkspaceError", "IndexReport", "IngestError", "__version__"]
