"""The `docs.vector` column as an (n, dim) float32 matrix: one reader for every caller.

The build (FAISS, map, clusters), the classifiers and semantic dedup all need the stored
embeddings as one contiguous matrix in docs order. They read them here, so the conversion
from Arrow (no Python loop, no copy of the ids) and the refusal of a row without a vector
are written once; each caller says with `missing` which error a missing vector is to it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa

from indexing.errors import NotIndexedError

COLUMNS = ("id", "vector")


def not_embedded(root, count: int) -> NotIndexedError:
    """The error for `count` documents of the workspace at `root` without a vector."""
    return NotIndexedError(root, f"vectors for {count:,} of its documents", "to finish embedding")


def vector_matrix(table: pa.Table, missing: Callable[[int], Exception]) -> np.ndarray:
    """The fixed-size-list `vector` column of `table` as a contiguous (n, dim) float32 matrix;
    `missing(count)` is raised when `count` rows have no vector."""
    column = table.column("vector").combine_chunks()
    if column.null_count:
        raise missing(column.null_count)
    dim = column.type.list_size
    matrix = column.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
    return np.ascontiguousarray(matrix, dtype=np.float32)


def read_vectors(store, missing: Callable[[int], Exception] | None = None) -> tuple[pa.Array, np.ndarray]:
    """Every document's id (one Arrow array) and its embedding, in docs order, from `store`."""
    table = store.read_docs(columns=list(COLUMNS))
    if table.num_rows == 0:
        return pa.array([], pa.string()), np.empty((0, 0), np.float32)
    return table.column("id").combine_chunks(), vector_matrix(table, missing or (lambda count: not_embedded(store.root, count)))
