"""What the app keeps in memory, and when it reloads it.

The map and filters need a few columns of every row (id, x, y, cluster and the
numeric columns), never texts or vectors. They are read once per LanceDB version
and shared by every session (`st.cache_resource`), so a rerun costs nothing until
the data really changes.
"""

from __future__ import annotations

import streamlit as st

from indexing import Workspace
from indexing.filters import numeric_columns


@st.cache_resource(show_spinner=False)
def open_workspace(path: str) -> Workspace:
    return Workspace.open(path)


@st.cache_resource(show_spinner="Loading the map columns…", max_entries=2)
def map_columns(path: str, version: int):
    """id, x, y, cluster and every numeric column, for the docs version `version`."""
    workspace = open_workspace(path)
    schema = workspace.store.docs_schema()
    wanted = ["id", "x", "y", "cluster", *numeric_columns(schema)]
    return workspace.docs(columns=[c for c in dict.fromkeys(wanted) if c in schema.names])
