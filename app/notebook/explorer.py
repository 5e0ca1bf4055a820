"""`ws.explore()`: the corpus map in JupyterLab and VS Code notebooks, wired to the engine.

The figure is the app's (`components.map_figure.map_spec`) inside plotly's FigureWidget
(anywidget), so hover text, colours and the box and lasso tools are the app's too. A box
or lasso drawn on it reaches Python through the widget's selection callback and becomes
`explorer.selection` (ids and a SQL predicate, `app.notebook.selection`); the same
selection can be made from Python (`select_box`, `select_lasso`) and labelled
(`explorer.label`), which recolours the map when it is coloured by that label.
"""

from __future__ import annotations

import numpy as np

from app.notebook.colours import colour_options, colour_values
from app.notebook.selection import Selection, box_selection, ids_selection, lasso_selection
from components.map_figure import MAX_HOVER_POINTS, display_sample, map_spec
from indexing.errors import DependencyMissing, LabelError, NotIndexedError, SettingError

MAP_COLUMNS = ("x", "y", "cluster")


def _widget_library() -> None:
    try:
        import anywidget  # noqa: F401  (plotly's FigureWidget is built on it)
    except ImportError:
        raise DependencyMissing("the notebook map needs anywidget (plotly's FigureWidget is built on it): "
                                "pip install 'loupe[notebook]' (or pip install anywidget jupyterlab)") from None


class Explorer:
    """The map of the documents `where` keeps (all by default) as a live widget.

    Displaying it (the last line of a cell) draws the map; `selection` is what was last
    drawn on it; `label(name, value)` labels that selection; `colour(by)` recolours.
    """

    def __init__(self, workspace, colour_by: str = "cluster", where: str | None = None,
                 points: int = MAX_HOVER_POINTS, height: int = 560):
        _widget_library()
        if not isinstance(points, int) or isinstance(points, bool) or points < 1:
            raise SettingError(f"points must be a whole number of documents to draw, at least 1; got {points!r}")
        schema = workspace.store.docs_schema()
        if schema is None or any(c not in schema.names for c in MAP_COLUMNS):
            raise NotIndexedError(workspace.root, "map", "to finish it")
        self.workspace = workspace
        self.where = (where.strip() or None) if isinstance(where, str) else None
        self.height = height
        rows = workspace.docs(self.where, columns=["id", *MAP_COLUMNS])
        self.ids = np.array(rows["id"].to_pylist(), dtype=object)
        self.x = rows["x"].to_numpy(zero_copy_only=False).astype(np.float64)
        self.y = rows["y"].to_numpy(zero_copy_only=False).astype(np.float64)
        self.clusters = rows["cluster"].to_numpy(zero_copy_only=False).astype(np.int32)
        self.shown = display_sample(self.clusters, limit=points)  # positions drawn (all up to `points`)
        self._texts = self._snippets()
        self.colour_by = colour_by
        self._selection = Selection()
        from components.map_widget import map_widget  # plotly's widget module needs anywidget

        self.widget = map_widget(self._spec())
        self.widget.data[0].on_selection(self._selected)
        self.widget.data[0].on_deselect(lambda trace, points: self.clear())

    # ---- drawing ----------------------------------------------------------

    def _snippets(self) -> np.ndarray | None:
        """The text of each drawn document for its hover (None above MAX_HOVER_POINTS, as in the app)."""
        if len(self.shown) > MAX_HOVER_POINTS:
            return None
        wanted = self.ids[self.shown].tolist()
        found = self.workspace.by_ids(wanted, ["id", "text"])
        text_of = dict(zip(found["id"].to_pylist(), found["text"].to_pylist()))
        return np.array([text_of.get(i) or "" for i in wanted], dtype=object)

    def _spec(self) -> dict:
        values, categorical, categories = colour_values(self.workspace, self.ids, self.colour_by)
        colour = values[self.shown]
        order = np.argsort(colour, kind="stable") if categories is not None else np.arange(len(colour))
        self.drawn = self.shown[order]  # what point i of the drawn trace is: its row here
        return map_spec(self.x[self.drawn], self.y[self.drawn], self.ids[self.drawn], color=colour[order],
                        categorical=categorical, color_name=self.colour_by, categories=categories,
                        texts=self._texts[order].tolist() if self._texts is not None else None,
                        clusters=self.clusters[self.drawn], height=self.height)

    def colour(self, by: str) -> "Explorer":
        """Colour the map by `by`: `cluster`, any docs column, or a label name."""
        previous, self.colour_by = self.colour_by, by
        try:
            self.refresh()
        except SettingError:
            self.colour_by = previous
            raise
        return self

    def colour_options(self) -> list[str]:
        return colour_options(self.workspace)

    def refresh(self) -> None:
        """Draw the current colours (labels written since, from here or elsewhere)."""
        from components.map_widget import restyle

        restyle(self.widget, self._spec())

    # ---- selecting --------------------------------------------------------

    @property
    def selection(self) -> Selection:
        """What was last drawn on the map (or selected from Python): `.ids`, `.predicate`."""
        return self._selection

    def select_box(self, x_range, y_range) -> Selection:
        """Select the documents inside a box, as a box drawn on the map does."""
        self._selection = box_selection(self.workspace, self.where, x_range, y_range)
        return self._selection

    def select_lasso(self, xs, ys) -> Selection:
        """Select the documents inside a polygon, as a lasso drawn on the map does (every
        document is tested, also those a sampled map does not draw)."""
        self._selection = lasso_selection(self.ids, self.x, self.y, self.where, list(xs), list(ys))
        return self._selection

    def clear(self) -> Selection:
        self._selection = Selection()
        return self._selection

    def _selected(self, trace, points, selector) -> None:
        """The widget's selection callback: a box, a lasso, or (no shape) the points plotly names."""
        kind = type(selector).__name__
        if kind == "BoxSelector":
            self.select_box(selector.xrange, selector.yrange)
        elif kind == "LassoSelector":
            self.select_lasso(selector.xs, selector.ys)
        else:
            rows = np.sort(self.drawn[np.asarray(points.point_inds, dtype=np.int64)])
            span = ((float(self.x[rows].min()), float(self.x[rows].max())),
                    (float(self.y[rows].min()), float(self.y[rows].max()))) if len(rows) else ((0, 0), (0, 0))
            self._selection = ids_selection(self.where, self.ids[rows].tolist(), "points", span)

    # ---- labelling --------------------------------------------------------

    def label(self, name: str, value: str | None, author: str | None = None) -> str:
        """Label every selected document `name` = `value` (None clears) in one append-only
        write, by `author` (default: this system user); returns the action id (`ws.labels.undo()`)."""
        if not self._selection.ids:
            raise LabelError("nothing is selected on the map: draw a box or a lasso on it "
                             "(or call select_box / select_lasso) before labelling")
        action = self.workspace.labels.add(self._selection.ids, name, value, author=author)
        if self.colour_by == name:
            self.refresh()
        return action

    # ---- display ------------------------------------------------------------

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return self.widget._repr_mimebundle_(include=include, exclude=exclude, **kwargs)

    def __repr__(self) -> str:
        return (f"Explorer({len(self.ids):,} documents, {len(self.shown):,} drawn, coloured by {self.colour_by!r}; "
                f"{self._selection!r})")


def explore(workspace, colour_by: str = "cluster", where: str | None = None, points: int = MAX_HOVER_POINTS,
            height: int = 560) -> Explorer:
    """The map of `workspace` as a notebook widget (see `Explorer`)."""
    return Explorer(workspace, colour_by=colour_by, where=where, points=points, height=height)
