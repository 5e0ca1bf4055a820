"""New documents on an existing map, placed from their nearest fitted neighbours.

Refitting UMAP and k-means whenever a workspace grows moves every point and renumbers
every cluster, so what a curator learned from the map (this island is licence text,
cluster 12 is test code) is lost, and a sample cannot be compared with the corpus it was
drawn from. A new document is placed on the fitted map instead, from the documents it is
nearest to in embedding space (cosine: inner product of normalised vectors, in FAISS;
no pickled UMAP model, so nothing but the workspace's own columns is needed):

- x, y: the mean of the coordinates of its `k` (10) nearest fitted documents, each weighted
  by exp((similarity - best similarity) / TEMPERATURE). The nearest count most and one far
  below the best counts little, so a document whose neighbours span two islands lands on
  the island it is nearest to rather than in the empty sea between them. This is how UMAP
  itself starts a `transform` (the neighbours' positions weighted by membership strength),
  without its optimisation epochs;
- cluster: the nearest k-means centroid (the normalised mean of each cluster's fitted
  vectors), the cluster that the assignment step of k-means would give it;
- a vector equal to a fitted one (similarity >= SAME) takes that document's x, y and cluster.

`benchmarks/placement.py` measures the choice by how often a placed document's nearest
points on the map share its topic, against the same rate for fitted documents (manual
pages by section: 0.592 placed, 0.610 fitted). Sharper weights score a little higher, up to
the nearest neighbour's place alone (0.601), which hides every placed point under a fitted
one; a plain mean scores 0.526. The nearest centroid agrees with the topics more than the
neighbours' majority cluster (0.615 against 0.605). README gives the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from indexing.vectors.faiss_lib import faiss
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import NotIndexedError, SettingError
from indexing.vectors.stored import vector_matrix

K = 10
TEMPERATURE = 0.01  # cosine; a neighbour 0.02 below the best weighs e^-2 of it
SAME = 0.9999  # at or above this cosine a vector is a fitted one (a copy of its document)
BATCH = 8_192  # vectors searched at once: bounded memory (BATCH x k) whatever the input size
# Up to EXACT_MAX fitted vectors the neighbours are exact (IndexFlatIP); above, IVF-Flat with
# sqrt(n) lists, NPROBE of them searched: a few seconds to train at 100k, then about 4x the
# exact search's rate there (benchmarks/placement.py), and a placement barely moves when
# one of ten neighbours is missed.
EXACT_MAX = 20_000
NPROBE = 16
FITTED = "x IS NOT NULL AND y IS NOT NULL AND cluster IS NOT NULL"
PLACED = "placed"  # the bool column: true where x, y, cluster were placed, not fitted


@dataclass(frozen=True)
class Placement:
    """Where placed vectors land: x, y (float32) and cluster (int32), one per vector."""

    x: np.ndarray
    y: np.ndarray
    cluster: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def _unit(vectors: np.ndarray, what: str) -> np.ndarray:
    """`vectors` as a contiguous float32 (n, dim) copy with rows of length 1 (zero rows stay zero)."""
    matrix = np.array(vectors, dtype=np.float32, copy=True, ndmin=2)
    if matrix.ndim != 2:
        raise SettingError(f"{what} must be a 2-d array (one vector a row), not of shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise SettingError(f"{what} hold NaN or infinite values; embed the documents again")
    matrix = np.ascontiguousarray(matrix)
    if len(matrix):
        faiss.normalize_L2(matrix)
    return matrix


class MapPlacer:
    """The fitted map of a workspace, to place new vectors on it."""

    def __init__(self, vectors: np.ndarray, xy: np.ndarray, clusters: np.ndarray, k: int = K,
                 temperature: float = TEMPERATURE):
        """Use `from_workspace` or `from_arrays`; `vectors` are already unit rows."""
        self.xy = xy
        self.clusters = clusters
        self.k = k
        self.temperature = temperature
        self.dimension = vectors.shape[1]
        self.index, self.kind = _neighbour_index(vectors)
        self.centroid_clusters, centroids = _centroids(vectors, clusters)
        self.centroids = faiss.IndexFlatIP(self.dimension)
        self.centroids.add(centroids)

    @classmethod
    def from_workspace(cls, workspace, k: int = K) -> "MapPlacer":
        """The fitted rows of `workspace` (a map and clusters, not placed themselves):
        NotIndexedError when it has none yet."""
        store = workspace.store
        schema = store.docs_schema()
        names = set(schema.names) if schema is not None else set()
        if not {"vector", "x", "y", "cluster"} <= names:
            raise NotIndexedError(workspace.root, "map and clusters", "to fit them")
        where = FITTED + (f" AND ({PLACED} IS NULL OR {PLACED} = false)" if PLACED in names else "")
        table = store.read_docs(where=where, columns=["id", "vector", "x", "y", "cluster"])
        if table.num_rows == 0:
            raise NotIndexedError(workspace.root, "fitted map", "to fit it")
        matrix = vector_matrix(table, lambda count: NotIndexedError(
            workspace.root, f"vectors for {count:,} of its mapped documents", "to finish embedding"))
        xy = np.column_stack([table.column(c).to_numpy() for c in ("x", "y")])
        return cls.from_arrays(matrix, xy, table.column("cluster").to_numpy(), k)

    @classmethod
    def from_arrays(cls, vectors, xy, clusters, k: int = K, *, temperature: float = TEMPERATURE) -> "MapPlacer":
        """A map fitted elsewhere: `vectors` (n, dim), their coordinates `xy` (n, 2) and
        `clusters` (n,); `k` neighbours place each new vector (SettingError when they disagree)."""
        matrix = _unit(vectors, "the fitted vectors")
        xy = np.asarray(xy, dtype=np.float32)
        clusters = np.asarray(clusters)
        n = len(matrix)
        if n == 0:
            raise SettingError("a map to place on needs at least one fitted vector; index the workspace first")
        if xy.shape != (n, 2) or clusters.shape != (n,):
            raise SettingError(f"{n} fitted vectors need {n} (x, y) pairs and {n} clusters, "
                               f"not shapes {xy.shape} and {clusters.shape}")
        if not np.isfinite(xy).all():
            raise SettingError("the fitted coordinates hold NaN or infinite values; index the workspace with --remap")
        if k < 1 or temperature < 0:
            raise SettingError(f"k must be at least 1 and the temperature at least 0, not {k} and {temperature}")
        return cls(matrix, np.ascontiguousarray(xy), clusters.astype(np.int32), int(k), float(temperature))

    @property
    def size(self) -> int:
        """The fitted documents placement draws from."""
        return len(self.xy)

    def place(self, vectors: np.ndarray, advance: Callable[[int], None] = lambda n: None) -> Placement:
        """x, y and cluster for each of `vectors` (n, dim), batch by batch (`advance(n)` after each)."""
        matrix = _unit(vectors, "the vectors to place")
        n = len(matrix)
        x, y = np.empty(n, np.float32), np.empty(n, np.float32)
        cluster = np.empty(n, np.int32)
        if n and matrix.shape[1] != self.dimension:
            raise SettingError(f"the vectors to place are {matrix.shape[1]}-d; the map was fitted on "
                               f"{self.dimension}-d vectors (another model)")
        for start in range(0, n, BATCH):
            part = slice(start, min(n, start + BATCH))
            xy, cluster[part] = self._place(matrix[part])
            x[part], y[part] = xy[:, 0], xy[:, 1]
            advance(part.stop - part.start)
        return Placement(x, y, cluster)

    def _place(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sims, found = self.index.search(batch, min(self.k, self.size))
        valid = found >= 0  # an approximate index may return fewer than k
        best = sims[:, :1]
        if self.temperature > 0:
            weights = np.exp(np.minimum(sims - best, 0.0) / self.temperature)
        else:
            weights = np.zeros_like(sims)
            weights[:, 0] = 1.0
        weights = np.where(valid, weights, 0.0).astype(np.float64)
        neighbours = self.xy[np.where(valid, found, 0)].astype(np.float64)
        xy = (weights[:, :, None] * neighbours).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-30)[:, None]
        _, nearest = self.centroids.search(batch, 1)
        cluster = self.centroid_clusters[nearest[:, 0]]
        same = (sims[:, 0] >= SAME) & valid[:, 0]
        xy[same] = self.xy[found[same, 0]]
        cluster[same] = self.clusters[found[same, 0]]
        return xy.astype(np.float32), cluster


def _neighbour_index(vectors: np.ndarray) -> tuple[faiss.Index, str]:
    """The index the neighbours are searched in, and its kind ("flat" or "ivf")."""
    n, dim = vectors.shape
    if n <= EXACT_MAX:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index, "flat"
    lists = int(np.sqrt(n))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(n, min(n, 40 * lists), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.nprobe = NPROBE
    return index, "ivf"


def _centroids(vectors: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cluster numbers, their unit centroids): each cluster's mean fitted vector, normalised,
    summed through a sparse membership matrix (no copy of the vectors)."""
    from scipy import sparse  # here, not at import: it costs the app's start

    numbers, members = np.unique(clusters, return_inverse=True)
    membership = sparse.csr_matrix((np.ones(len(clusters), np.float32), (members, np.arange(len(clusters)))),
                                   shape=(len(numbers), len(clusters)))
    centroids = np.ascontiguousarray(membership @ vectors, dtype=np.float32)
    faiss.normalize_L2(centroids)
    return numbers.astype(np.int32), centroids


# ---- the build's stage helpers (indexing/workspace/pipeline.py) -------------------------


def place_missing(store, ids: list[str], matrix: np.ndarray, placer: MapPlacer, progress) -> dict:
    """Rows without x, y or cluster get them from `placer` (and `placed` true where x and y
    were placed); every other row keeps its x, y, cluster and `placed` bit for bit. `ids`
    and `matrix` are every row's, in docs order. The four columns are replaced in one write
    (`Store.replace_columns`), and only when a row was missing one. Returns the counts the
    stage records: {"new": rows placed now, "placed": rows placed in all, "fitted": placer.size}."""
    names = store.docs_schema().names
    table = store.read_docs(columns=["id", "x", "y", "cluster"] + ([PLACED] if PLACED in names else []))
    order = table.column("id").to_pylist()
    if order != ids:  # the same rows (the writer lock is held); only their order could differ
        position = {doc_id: row for row, doc_id in enumerate(ids)}
        matrix = matrix[np.array([position[doc_id] for doc_id in order], dtype=np.int64)]
    no_xy = pc.or_(pc.is_null(table.column("x")), pc.is_null(table.column("y"))).to_numpy(zero_copy_only=False)
    no_cluster = pc.is_null(table.column("cluster")).to_numpy(zero_copy_only=False)
    was_placed = (table.column(PLACED).fill_null(False).to_numpy(zero_copy_only=False) if PLACED in names
                  else np.zeros(len(ids), dtype=bool))
    missing = np.flatnonzero(no_xy | no_cluster)
    if len(missing):
        with progress.stage("place", len(missing)) as advance:
            placement = placer.place(matrix[missing], advance)
        columns = {"id": table.column("id")}
        for name, values, lacks in (("x", placement.x, no_xy), ("y", placement.y, no_xy),
                                    ("cluster", placement.cluster, no_cluster)):
            kept = table.column(name).fill_null(0).to_numpy(zero_copy_only=False).astype(values.dtype)
            fill = lacks[missing]
            kept[missing[fill]] = values[fill]
            columns[name] = pa.array(kept, type=pa.int32() if name == "cluster" else pa.float32())
        columns[PLACED] = pa.array(was_placed | no_xy, pa.bool_())
        store.replace_columns(pa.table(columns))
    return {"new": int(no_xy.sum()), "placed": int((was_placed | no_xy).sum()), "fitted": placer.size}


def count_cluster_sizes(store) -> int:
    """The `clusters` table's sizes counted again over every row (keywords and centres stay as
    fitted); returns k."""
    clusters = store.clusters()
    labels = store.read_docs(columns=["cluster"]).column("cluster").drop_null().to_numpy()
    numbers = clusters.column("cluster").to_numpy()
    counts = np.bincount(labels, minlength=int(max(numbers.max(initial=0), labels.max(initial=0))) + 1)
    sizes = counts[numbers].astype(np.int64)
    store.write_clusters(clusters.set_column(clusters.schema.get_field_index("size"), "size", pa.array(sizes)))
    return clusters.num_rows
