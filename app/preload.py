"""What the first page needs, done before the server starts listening.

Streamlit imports a page's modules and fills its caches on the first visit, so the
first curator to open the page would wait for LanceDB, plotly and the columns of a
million rows. `loupe app` runs the server in its own process, so it can do that
work first: the modules stay imported and `st.cache_resource` keeps what was loaded.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from app import data
from indexing.workspace.lock import is_busy
from indexing.workspace.manifest import STATE_FILE

# the page's modules: importing them is most of what a first visit would wait for
PAGE_MODULES = ("app.sidebar", "app.tabs.map", "app.tabs.filters", "app.tabs.label", "app.tabs.classify",
                "app.tabs.duplicates", "app.tabs.budget", "app.tabs.export")
QUIET = ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching.cache_data_api")


def preload(path: str) -> None:
    """Load the columns, snippets and label codes of a ready workspace; anything the
    page would refuse (missing, busy, unfinished) is left for the page to explain."""
    for module in PAGE_MODULES:
        importlib.import_module(module)
    root = Path(path)
    if not (root / STATE_FILE).exists() or is_busy(root):
        return
    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name in QUIET:  # outside a session Streamlit warns about every cached call
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        workspace = data.open_workspace(path)
        version = workspace.store.version()
        info = data.info(path, (root / STATE_FILE).stat().st_mtime_ns, version)
        if not info["ready"]:
            return
        data.corpus(path, version)
        data.snippets(path, version)
        labels_version = workspace.labels.version()
        for name, values in workspace.label_scheme().items():
            data.label_codes(path, version, labels_version, name, tuple(values))
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
