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
import pyarrow.compute as pc

from indexing.errors import NotIndexedError
from indexing.workspace.store import DOCS

READ_BATCH = 65_536  # rows per batch read (100 MB of 384-d vectors)


def not_embedded(root, count: int) -> NotIndexedError:
    """The error for `count` documents of the workspace at `root` without a vector."""
    return NotIndexedError(root, f"vectors for {count:,} of its documents", "to finish embedding")


def _filled(chunks, rows: int, dim: int, missing: Callable[[int], Exception]) -> np.ndarray:
    """The fixed-size-list `chunks` copied one by one into one preallocated (rows, dim)
    float32 matrix: the peak is the matrix and one chunk, where combining the chunks first
    held the vectors twice (1.5 GB more at a million 384-d rows)."""
    out = np.empty((rows, dim), dtype=np.float32)
    position = nulls = 0
    for chunk in chunks:
        nulls += chunk.null_count
        if not nulls and len(chunk):
            out[position : position + len(chunk)] = chunk.flatten().to_numpy(zero_copy_only=False).reshape(-1, dim)
        position += len(chunk)
    if nulls:
        raise missing(nulls)
    return out


def vector_matrix(table: pa.Table, missing: Callable[[int], Exception]) -> np.ndarray:
    """The fixed-size-list `vector` column of `table` as a contiguous (n, dim) float32 matrix;
    `missing(count)` is raised when `count` rows have no vector."""
    column = table.column("vector")
    return _filled(column.chunks, table.num_rows, column.type.list_size, missing)


def read_vectors(store, missing: Callable[[int], Exception] | None = None) -> tuple[pa.Array, np.ndarray]:
    """Every document's id (one Arrow array) and its embedding, in docs order, from `store`,
    read batch by batch into the matrix (never the whole vector column at once beside it)."""
    if not store.has(DOCS):
        return pa.array([], pa.string()), np.empty((0, 0), np.float32)
    dataset = store.table(DOCS).to_lance()  # one version: the count and the scan agree
    rows = dataset.count_rows()
    if rows == 0:
        return pa.array([], pa.string()), np.empty((0, 0), np.float32)
    # The ids in a scan of their own: an id column kept from a batch of both keeps the
    # batch's whole buffer, vectors included, alive (3.7 GB instead of 2.2 at a million rows).
    ids = dataset.to_table(columns=["id"]).column("id").combine_chunks()
    vectors = (batch.column("vector") for batch in dataset.to_batches(columns=["vector"], batch_size=READ_BATCH))
    dim = dataset.schema.field("vector").type.list_size
    matrix = _filled(vectors, rows, dim, missing or (lambda count: not_embedded(store.root, count)))
    return ids, matrix


def vector_batches(store, ids=None, batch_size: int = READ_BATCH,
                   missing: Callable[[int], Exception] | None = None):
    """(ids, (n, dim) float32 matrix) per batch of docs, in docs order, for a pass over
    every vector that holds one batch at a time (a million rows in ~100 MB, not 1.5 GB);
    `ids` (an Arrow array) keeps only those rows; a row without a vector is `missing`."""
    if not store.has(DOCS):
        return
    dataset = store.table(DOCS).to_lance()
    dim = dataset.schema.field("vector").type.list_size
    value_set = None if ids is None else pa.array(ids, pa.string()).unique()
    for batch in dataset.to_batches(columns=["id", "vector"], batch_size=batch_size):
        if value_set is not None:
            batch = batch.filter(pc.fill_null(pc.is_in(batch.column("id"), value_set=value_set), False))
        if batch.num_rows:
            column = batch.column("vector")
            yield batch.column("id"), _filled([column], batch.num_rows, dim,
                                               missing or (lambda count: not_embedded(store.root, count)))
