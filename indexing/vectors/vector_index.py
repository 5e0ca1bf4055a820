"""The FAISS index over `docs.vector`, with the row-id mapping saved beside it.

LanceDB is the record; this is the accelerator for nearest-neighbour work. Up to
EXACT_MAX_ROWS an exact inner-product index is used: no build time, perfect recall,
and a query over 200k x 384 floats is ~77M multiply-adds, a few tens of
milliseconds on two cores. Above it, HNSW (M=32, efSearch=256: recall@10 of 0.959 at
1M x 384 real-text vectors, single-query p50 0.95 ms on this 2-core CPU, where efSearch
64 gave 0.868 at 0.33 ms; benchmarks/scale.py), or IVF-Flat built on the GPU when faiss
sees one. On a GPU, a loaded flat or IVF index is also searched there (a copy; the
host index stays for filtered searches, which GPU indexes do not take).

A saved index is opened by mapping its file, not reading it (`map_flags`): a million rows'
HNSW index (1.8 GB) opens in 0.08 s instead of 1.5 s (many seconds on a busy server), and
its vectors and graph live in the page cache, shared by every process that opens them and
given back under memory pressure, instead of in each process's heap. This is safe because
an index file is never changed once written (a build writes a new folder and switches
`current.json`; a removed folder's mapping stays valid) and nothing adds to a loaded index
(a mapped index cannot grow: faiss would abort the process).
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from indexing.vectors.faiss_lib import faiss
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexing.vectors import devices
from indexing.vectors.devices import gpu_count  # noqa: F401 - kept importable from here
from indexing.workspace.atomic import atomic_write_text, fsync_tree

EXACT_MAX_ROWS = 200_000
HNSW_M = 32
HNSW_EF_SEARCH = 256  # the recall@10 >= 0.95 bar at 1M (see above)
CURRENT = "current.json"


def _build(vectors: np.ndarray, gpu: bool | None = None) -> tuple[faiss.Index, str]:
    """The index for `vectors` and its kind; `gpu` (default: whether there is one) picks
    IVF-Flat trained on the GPU over HNSW above EXACT_MAX_ROWS. On the CPU twin
    (`gpu=True` without one) the same IVF code runs on the host."""
    n, dim = vectors.shape
    if n <= EXACT_MAX_ROWS:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, "flat"
    if devices.use_gpu() if gpu is None else gpu:
        nlist = int(4 * np.sqrt(n))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        placed = devices.to_gpu(index)
        placed.train(vectors)
        placed.add(vectors)
        return (index if placed is index else faiss.index_gpu_to_cpu(placed)), "ivf"
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(vectors)
    return index, "hnsw"


def build_index(root: Path, vectors: np.ndarray, ids: list[str]) -> dict:
    """Build and save an index; the switch to it is one atomic rename of current.json."""
    folder = Path(root) / "faiss"
    folder.mkdir(exist_ok=True)
    build = uuid.uuid4().hex[:12]
    target = folder / build
    target.mkdir()
    index, kind = _build(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(target / "index.faiss"))
    pq.write_table(pa.table({"id": pa.array(ids, pa.string())}), target / "ids.parquet")
    meta = {"build": build, "kind": kind, "rows": len(ids), "dimension": int(vectors.shape[1])}
    atomic_write_text(target / "meta.json", json.dumps(meta))
    fsync_tree(target)  # the files on disk before current.json names them (a power loss, not only a kill)
    atomic_write_text(folder / CURRENT, json.dumps(meta))
    for old in folder.iterdir():
        if old.is_dir() and old.name != build:
            shutil.rmtree(old, ignore_errors=True)
    return meta


def map_flags() -> int:
    """faiss's flags for reading an index by mapping its file (0 on a faiss without them)."""
    return getattr(faiss, "IO_FLAG_MMAP_IFC", 0) | getattr(faiss, "IO_FLAG_READ_ONLY", 0)


@dataclass
class VectorIndex:
    """A loaded index: search by vector, optionally restricted to some positions."""

    index: faiss.Index
    ids: list[str]
    meta: dict
    gpu: object = None  # a GPU copy of `index` for unfiltered searches, when there is a GPU

    @classmethod
    def load(cls, root: Path) -> "VectorIndex":
        folder = Path(root) / "faiss"
        meta = json.loads((folder / CURRENT).read_text())
        target = folder / meta["build"]
        index = faiss.read_index(str(target / "index.faiss"), map_flags())
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        elif isinstance(index, faiss.IndexIVF):
            index.nprobe = 32
        gpu = None
        if devices.use_gpu() and not isinstance(index, faiss.IndexHNSW):
            gpu = devices.to_gpu(index)
        ids = pq.read_table(target / "ids.parquet").column("id").to_pylist()
        return cls(index, ids, meta, gpu)

    @property
    def positions(self) -> dict[str, int]:
        if not hasattr(self, "_positions"):
            self._positions = {doc_id: i for i, doc_id in enumerate(self.ids)}
        return self._positions

    def flat_vectors(self) -> np.ndarray | None:
        """Every indexed vector as a read-only (n, dim) view of the index's own memory (no
        copy), in position order, when the index stores them plainly (flat, HNSW); None for
        IVF. A pass over all of them then reads no disk and adds no memory."""
        storage = faiss.downcast_index(self.index.storage) if isinstance(self.index, faiss.IndexHNSW) else self.index
        if not isinstance(storage, faiss.IndexFlat) or not storage.ntotal:
            return None
        view = faiss.rev_swig_ptr(storage.get_xb(), storage.ntotal * storage.d).reshape(storage.ntotal, storage.d)
        view.flags.writeable = False
        return view

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, positions) per query; -1 positions pad results shorter than k.

        `allowed` restricts the search to those positions (a filter evaluated in
        LanceDB); small subsets are scored exactly instead of through the index.
        """
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if allowed is None:
            return (self.index if self.gpu is None else self.gpu).search(queries, k)
        allowed = np.asarray(allowed, dtype=np.int64)
        if len(allowed) <= 50_000:
            return self._exact_subset(queries, k, allowed)
        params = (
            faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
            if isinstance(self.index, faiss.IndexHNSW)
            else faiss.SearchParameters()
        )
        params.sel = faiss.IDSelectorBatch(allowed)
        return self.index.search(queries, k, params=params)

    def _exact_subset(self, queries, k, allowed):
        vectors = self.index.reconstruct_batch(allowed) if len(allowed) else None
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        positions = np.full((len(queries), k), -1, dtype=np.int64)
        if vectors is None:
            return scores, positions
        sims = queries @ vectors.T
        take = min(k, len(allowed))
        top = np.argsort(-sims, axis=1)[:, :take]
        scores[:, :take] = np.take_along_axis(sims, top, axis=1)
        positions[:, :take] = allowed[top]
        return scores, positions
