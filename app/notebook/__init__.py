"""Loupe in a notebook: `explore(ws)` (or `ws.explore()`) shows the corpus map as a live widget.

    from indexing import Workspace
    explorer = Workspace.open("my-ws").explore(colour_by="lang")
    explorer                        # the map: hover, box, lasso (JupyterLab, VS Code)
    explorer.selection.ids, explorer.selection.predicate
    explorer.label("quality", "bad")

Needs the `notebook` extra (plotly's FigureWidget is built on anywidget).
"""

from app.notebook.explorer import Explorer, explore
from app.notebook.selection import Selection

__all__ = ["Explorer", "Selection", "explore"]
