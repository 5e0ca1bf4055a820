"""The stored vectors read into one preallocated matrix, batch by batch (stored.py): the same
ids and vectors, in docs order, as reading the whole table, whatever the batch and fragment
boundaries, and a row without a vector still refused with its count."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from indexing import Workspace
from indexing.errors import NotIndexedError
from indexing.vectors import stored
from tests.helpers import write_jsonl


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:16")
    for part in range(3):  # three sources: three appends, several fragments
        rows = [{"id": f"p{part}-{i}", "text": f"document {i} of part {part} on topic {i % 4}"} for i in range(23)]
        ws.index([write_jsonl(tmp_path / f"part{part}.jsonl", rows)])
    return ws


@pytest.mark.parametrize("batch", [1, 7, 65_536])
def test_batches_give_the_whole_table_in_docs_order(workspace, monkeypatch, batch):
    monkeypatch.setattr(stored, "READ_BATCH", batch)
    table = workspace.store.read_docs(columns=["id", "vector"])
    expected = np.stack(table.column("vector").to_pylist()).astype(np.float32)
    ids, matrix = stored.read_vectors(workspace.store)
    assert ids.to_pylist() == table.column("id").to_pylist() and len(ids) == 69
    assert matrix.dtype == np.float32 and matrix.flags.c_contiguous
    np.testing.assert_array_equal(matrix, expected)


def test_a_table_of_several_chunks_with_a_missing_vector_is_refused_with_its_count():
    vectors = pa.array([[1.0, 0.0], None, [0.0, 1.0]], pa.list_(pa.float32(), 2))
    table = pa.Table.from_batches([pa.record_batch({"vector": vectors.slice(0, 2)}),
                                   pa.record_batch({"vector": vectors.slice(2, 1)})])
    with pytest.raises(NotIndexedError):
        stored.vector_matrix(table, lambda count: NotIndexedError("ws", f"vectors for {count} documents", "x"))
    whole = pa.Table.from_batches([pa.record_batch({"vector": vectors.slice(0, 1)}),
                                   pa.record_batch({"vector": vectors.slice(2, 1)})])
    np.testing.assert_array_equal(stored.vector_matrix(whole, lambda count: AssertionError(count)),
                                  [[1.0, 0.0], [0.0, 1.0]])


def test_an_empty_workspace_gives_an_empty_matrix(tmp_path):
    ws = Workspace.create(tmp_path / "ws", id_field="id", model="hash:16")
    ids, matrix = stored.read_vectors(ws.store)
    assert len(ids) == 0 and matrix.shape == (0, 0)
