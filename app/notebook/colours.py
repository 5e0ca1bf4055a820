"""What the notebook map is coloured by: the cluster, any docs column, or a label.

Each answer is (value per row, categorical?, category names or None), aligned with the
explorer's rows, the shape `map_spec` draws: a numeric column is a continuous scale, a
string or boolean column its most frequent values, a label its values with the
unlabelled in grey (None), as in the app's Map tab.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from components.map_widget import category_codes
from indexing.curate.label_scheme import label_codes
from indexing.errors import SettingError

NOT_COLOURS = ("vector", "id")  # not a colour: not a scalar, or one value per document


def colour_options(workspace) -> list[str]:
    """Everything `colour_by` accepts: `cluster`, every docs column, every label name."""
    schema = workspace.store.docs_schema()
    columns = [f.name for f in schema if f.name not in NOT_COLOURS] if schema is not None else []
    return list(dict.fromkeys(["cluster", *columns, *workspace.labels.names()]))


def colour_values(workspace, ids: np.ndarray, colour_by: str) -> tuple[np.ndarray, bool, list | None]:
    """(values, categorical, categories) of `colour_by` for the documents `ids` (in docs order)."""
    schema = workspace.store.docs_schema()
    if schema is not None and colour_by in schema.names and colour_by not in NOT_COLOURS:
        column = workspace.store.read_docs_of(pa.array(ids.tolist(), pa.string()), ["id", colour_by])
        position = {doc_id: i for i, doc_id in enumerate(column["id"].to_pylist())}
        values = column[colour_by].take(pa.array([position[i] for i in ids], pa.int64()))
        kind = schema.field(colour_by).type
        if colour_by == "cluster":
            return values.to_numpy(zero_copy_only=False).astype(np.int32), True, None
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            return np.nan_to_num(values.to_numpy(zero_copy_only=False).astype(np.float64)), False, None
        codes, categories = category_codes(values.to_pylist())
        return codes, True, categories
    if colour_by in workspace.labels.names():
        return _label_codes(workspace, ids, colour_by)
    raise SettingError(f"cannot colour the map by {colour_by!r}: it is neither a docs column nor a label; "
                       f"choose one of {', '.join(colour_options(workspace))}")


def _label_codes(workspace, ids: np.ndarray, name: str) -> tuple[np.ndarray, bool, list]:
    """0 for unlabelled (grey), then the scheme's values, then any other value found."""
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    codes, categories = label_codes(workspace.labels, name, position, len(ids),
                                    workspace.label_scheme().get(name, []))
    return codes, True, categories
