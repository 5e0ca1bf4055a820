"""Figures handed to Streamlit as the JSON plotly.js reads, built here, not as plotly objects.

`st.plotly_chart` turns a plotly `Figure` into JSON through plotly's object model: building
the figure wraps every property, and `to_dict()` deep-copies every array before encoding
it. For a million map points, or the histograms of the Filters tab, that was most of a
rerun's time on the server. A `Prepared` figure is that JSON already (numpy arrays as
plotly's base64 typed arrays, the default template filled in, exactly what plotly would
send), so Streamlit passes it through. Notebooks and tests use plain plotly figures made
from the same spec (`go.Figure(spec, _validate=False)`); the tests check both send the same.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# plotly.js reads these typed arrays; wider integers are narrowed first, as plotly does
TYPED = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4",
         "float32": "f4", "float64": "f8"}
NARROWER = (np.int8, np.int16, np.int32)


def narrowest(values: np.ndarray) -> np.ndarray:
    """Signed integers in the narrowest type that holds them (as they are when none does, or
    when empty): a million cluster codes travel as 1 MB of int8, not 4 MB of int32."""
    values = np.asarray(values)
    if values.size == 0 or values.dtype.kind != "i":
        return values
    low, high = int(values.min()), int(values.max())
    fits = [t for t in NARROWER if np.iinfo(t).min <= low and high <= np.iinfo(t).max]
    return values.astype(fits[0], copy=False) if fits else values


def typed_array(values: np.ndarray) -> Any:
    """A numpy array as plotly's typed-array JSON (object arrays as a plain list)."""
    if values.dtype == object or values.size == 0:
        return values.tolist()
    if values.dtype == np.int64:  # plotly.js has no 64-bit integers: the narrowest that holds them
        values = narrowest(values)
        if values.dtype == np.int64:
            return values.tolist()
    if str(values.dtype) not in TYPED:
        return values.tolist()
    spec = {"dtype": TYPED[str(values.dtype)], "bdata": base64.b64encode(np.ascontiguousarray(values)).decode("ascii")}
    if values.ndim > 1:
        spec["shape"] = ", ".join(map(str, values.shape))
    return spec


CONTAINERS = (dict, list, tuple, np.ndarray, np.generic)


def as_json(value: Any) -> Any:
    """`value` with every numpy array (and scalar) turned into what plotly's JSON holds."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):  # scalars as they are: a colour scale is a long list of them
        return [as_json(item) if isinstance(item, CONTAINERS) else item for item in value]
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


_templates: dict[str, dict] = {}


def default_template() -> dict:
    """The template plotly gives a new figure (pio.templates.default), as JSON, made once."""
    name = str(pio.templates.default)
    if name not in _templates:
        _templates[name] = go.Figure().to_dict()["layout"].get("template", {})
    return _templates[name]


class Prepared(go.Figure):
    """A figure that is already plotly's JSON: `to_dict()` returns it, and nothing else of
    plotly's object model is set up (Streamlit asks for `to_dict()` only; the tests check it)."""

    def __init__(self, spec: dict):  # no BaseFigure.__init__: that is the cost this class avoids
        layout = as_json(dict(spec.get("layout") or {}))
        layout.setdefault("template", default_template())  # JSON already: not walked again
        self._prepared = {"data": as_json(list(spec.get("data") or [])), "layout": layout}

    def to_dict(self) -> dict:
        return self._prepared

    def to_plotly_json(self) -> dict:
        return self._prepared

    def __repr__(self) -> str:
        return f"Prepared({len(self._prepared['data'])} traces)"


def plain(spec: dict) -> go.Figure:
    """The same spec as an ordinary plotly figure (notebooks, tests), built unvalidated."""
    return go.Figure(data=spec.get("data") or [], layout=spec.get("layout") or {}, _validate=False)
