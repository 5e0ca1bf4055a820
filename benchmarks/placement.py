"""New documents on the old map: do placed documents sit among their own topic as fitted ones do?

A workspace grows by placing its new documents on the map and the clusters it already has
(`indexing.vectors.placement.MapPlacer`) instead of fitting them again. This measures what
that costs in map quality, on a real labelled corpus: the manual pages of this machine
(`benchmarks/manpages.py`), whose topic is the section their authors filed them under
(1 commands, 2 system calls, 3 library functions, 5 file formats, 7 overviews, 8
administration, ...), embedded by the real model (all-MiniLM-L6-v2).

1. A workspace is indexed (`Workspace.index`, real LanceDB, FAISS, UMAP, k-means) on a seeded
   random `--fit` share (80%) of the pages; the rest are then indexed into it as a new source,
   so the build places them (`placed = true`), as `loupe index` does.
2. For every document, the share of its 10 nearest points on the map (2D x, y, among all
   points) that have its topic: the mean over placed documents against the mean over fitted
   ones (`map_topic_rate`). The same rate over the 10 nearest in embedding space is what the
   vectors themselves allow (`vector_topic_rate`), the ceiling of any map.
3. Clusters: the share of documents whose topic is their cluster's majority topic among
   fitted documents (`cluster_topic_rate`), placed against fitted.
4. The method, compared on the same fitted map and held-out vectors (`variants`): the nearest
   neighbour's place only (temperature 0), similarity-weighted means of k neighbours at a few
   temperatures, a plain mean; cluster by nearest centroid against the neighbours' majority.
5. `Workspace.index(remap=True)` fits map and clusters again over every document: the same
   rates for the held-out documents once they are fitted (`refit`), and its time.

    .venv/bin/python benchmarks/placement.py                 # all manual pages (about 3,000)
    .venv/bin/python benchmarks/placement.py --docs 1000     # a quick look
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import faiss
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import manpages  # noqa: E402  (benchmarks/manpages.py)
from results import write_result  # noqa: E402  (benchmarks/results.py)

NEIGHBOURS = 10  # map and vector neighbours each document's rate is counted over
VARIANTS = (  # (name, k, temperature, cluster by, exact neighbours)
    ("nearest only", 1, 0.0, "centroid", True),
    ("k=10, temperature 0.005", 10, 0.005, "centroid", True),
    ("k=10, temperature 0.01 (Loupe)", 10, 0.01, "centroid", True),
    ("k=10, temperature 0.02", 10, 0.02, "centroid", True),
    ("k=10, temperature 0.05", 10, 0.05, "centroid", True),
    ("k=10, plain mean", 10, 1e6, "centroid", True),
    ("k=5, temperature 0.01", 5, 0.01, "centroid", True),
    ("k=20, temperature 0.01", 20, 0.01, "centroid", True),
    ("k=10, temperature 0.01, cluster by neighbours' majority", 10, 0.01, "majority", True),
    ("k=10, temperature 0.01, IVF neighbours (as above 20k fitted)", 10, 0.01, "centroid", False),
)
LOUPE = "k=10, temperature 0.01 (Loupe)"


def map_topic_rate(xy: np.ndarray, topics: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Per document: the share of its k nearest other points on the map with its topic."""
    points = np.ascontiguousarray(xy, dtype=np.float32)
    index = faiss.IndexFlatL2(2)
    index.add(points)
    _, found = index.search(points, k + 1)
    return _same_topic(found, topics, k)


def _nearest_gap(points: np.ndarray, fitted: np.ndarray, itself: bool = False) -> np.ndarray:
    """Per point: the distance on the map to the nearest fitted point (another than itself
    when `itself`: `points` are the fitted ones)."""
    index = faiss.IndexFlatL2(2)
    index.add(np.ascontiguousarray(fitted, dtype=np.float32))
    distances, _ = index.search(np.ascontiguousarray(points, dtype=np.float32), 2)
    return np.sqrt(distances[:, 1 if itself else 0])


def vector_topic_rate(vectors: np.ndarray, topics: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Per document: the share of its k nearest other documents by cosine with its topic."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    _, found = index.search(vectors, k + 1)
    return _same_topic(found, topics, k)


def _same_topic(found: np.ndarray, topics: np.ndarray, k: int) -> np.ndarray:
    rows = np.arange(len(found))
    others = np.array([[j for j in row if j != i][:k] for i, row in zip(rows, found)])  # itself left out
    return (topics[others] == topics[:, None]).mean(axis=1)


def cluster_topic_rate(clusters: np.ndarray, topics: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Per document: whether its topic is the majority topic of its cluster's fitted members."""
    majority = {c: Counter(topics[fitted & (clusters == c)]).most_common(1)[0][0]
                for c in np.unique(clusters[fitted])}
    return np.array([majority.get(c) == t for c, t in zip(clusters, topics)], dtype=float)


def neighbour_majority(placer, vectors: np.ndarray, fitted_clusters: np.ndarray, k: int = 10) -> np.ndarray:
    """The other cluster rule: the most common cluster of the k nearest fitted documents."""
    unit = np.ascontiguousarray(vectors, dtype=np.float32)
    faiss.normalize_L2(unit)
    _, found = placer.index.search(unit, k)
    return np.array([Counter(fitted_clusters[row[row >= 0]]).most_common(1)[0][0] for row in found], np.int32)


def rates(xy, clusters, topics, fitted) -> dict:
    on_map = map_topic_rate(xy, topics)
    in_cluster = cluster_topic_rate(clusters, topics, fitted)
    return {"map_topic_rate": {"placed": round(float(on_map[~fitted].mean()), 4),
                               "fitted": round(float(on_map[fitted].mean()), 4)},
            "cluster_topic_rate": {"placed": round(float(in_cluster[~fitted].mean()), 4),
                                   "fitted": round(float(in_cluster[fitted].mean()), 4)}}


def read_map(ws, topic_of: dict[str, str]):
    from indexing.vectors.stored import vector_matrix

    table = ws.docs(columns=["id", "vector", "x", "y", "cluster", "placed"])
    ids = table.column("id").to_pylist()
    return (ids, vector_matrix(table, lambda n: RuntimeError(f"{n} rows without vectors")),
            np.column_stack([table.column("x").to_numpy(), table.column("y").to_numpy()]),
            table.column("cluster").to_numpy().astype(np.int32), table.column("placed").to_numpy(zero_copy_only=False),
            np.array([topic_of[i] for i in ids]))


def run(docs: int | None, fit_share: float, seed: int, workdir: Path) -> dict:
    from indexing import Workspace
    from indexing.demo_corpus import write_jsonl
    from indexing.vectors import placement
    from indexing.vectors.placement import MapPlacer

    records = manpages.load(manpages.build())
    random.Random(seed).shuffle(records)
    records = records[:docs] if docs else records
    cut = int(round(fit_share * len(records)))
    topic_of = {r["id"]: r["chapter"] for r in records}
    write_jsonl(records[:cut], workdir / "fit.jsonl")
    write_jsonl(records[cut:], workdir / "new.jsonl")
    ws = Workspace.create(workdir / "ws", id_field="id")  # the real model
    print(f"indexing {cut:,} manual pages, then placing {len(records) - cut:,} ...", flush=True)
    fit_report = ws.index([workdir / "fit.jsonl"])
    place_report = ws.index([workdir / "new.jsonl"])
    ids, vectors, xy, clusters, placed, topics = read_map(ws, topic_of)
    fitted = ~placed
    assert placed.sum() == len(records) - cut, "the build did not place the new pages"
    result = {"docs": len(records), "fitted": int(fitted.sum()), "placed": int(placed.sum()),
              "topics": dict(sorted(Counter(topics.tolist()).items())), "k_clusters": int(ws.store.clusters().num_rows),
              "seconds": {"fit: project (UMAP)": round(fit_report.seconds.get("project", 0.0), 2),
                          "fit: cluster (k-means)": round(fit_report.seconds.get("cluster", 0.0), 2),
                          "place: project (MapPlacer)": round(place_report.seconds.get("project", 0.0), 2),
                          "place: cluster (sizes)": round(place_report.seconds.get("cluster", 0.0), 2)}}
    result["pipeline"] = rates(xy, clusters, topics, fitted)
    in_vectors = vector_topic_rate(vectors, topics)
    result["vector_topic_rate"] = {"placed": round(float(in_vectors[~fitted].mean()), 4),
                                   "fitted": round(float(in_vectors[fitted].mean()), 4)}

    variants = {}
    spacing = _nearest_gap(xy[fitted], xy[fitted], itself=True)  # how far apart fitted points sit
    for name, k, temperature, cluster_by, exact in VARIANTS:
        placement.EXACT_MAX = 20_000 if exact else 0
        placer = MapPlacer.from_arrays(vectors[fitted], xy[fitted], clusters[fitted], k, temperature=temperature)
        started = time.perf_counter()
        where = placer.place(vectors[~fitted])
        seconds = time.perf_counter() - started
        trial_xy, trial_clusters = xy.copy(), clusters.copy()
        trial_xy[~fitted] = np.column_stack([where.x, where.y])
        majority = neighbour_majority(placer, vectors[~fitted], clusters[fitted])
        trial_clusters[~fitted] = where.cluster if cluster_by == "centroid" else majority
        variants[name] = {**rates(trial_xy, trial_clusters, topics, fitted),
                          "centroid_equals_majority": round(float((where.cluster == majority).mean()), 4),
                          # median distance from a placed point to the nearest fitted one, over the
                          # fitted points' own: 0 means every placed point hides under a fitted one
                          "gap_to_fitted": round(float(np.median(_nearest_gap(trial_xy[~fitted], xy[fitted]))
                                                       / np.median(spacing)), 3),
                          "docs_per_second": round(float((~fitted).sum()) / max(seconds, 1e-9))}
    placement.EXACT_MAX = 20_000
    result["variants"] = variants

    started = time.perf_counter()
    remap_report = ws.index(remap=True)
    result["seconds"]["remap (wall)"] = round(time.perf_counter() - started, 2)
    result["seconds"]["remap: project"] = round(remap_report.seconds.get("project", 0.0), 2)
    new_ids = {r["id"] for r in records[cut:]}
    ids, _, xy, clusters, placed, topics = read_map(ws, topic_of)
    assert not placed.any(), "a remap leaves no document placed"
    held_out = np.array([doc_id in new_ids for doc_id in ids])
    on_map = map_topic_rate(xy, topics)
    in_cluster = cluster_topic_rate(clusters, topics, np.ones(len(ids), dtype=bool))
    result["refit"] = {"map_topic_rate": {"held_out": round(float(on_map[held_out].mean()), 4),
                                          "rest": round(float(on_map[~held_out].mean()), 4)},
                       "cluster_topic_rate": {"held_out": round(float(in_cluster[held_out].mean()), 4),
                                              "rest": round(float(in_cluster[~held_out].mean()), 4)}}
    return result


def speed(fitted: int, placed: int, dim: int = 384, seed: int = 0) -> dict:
    """Seconds to build a MapPlacer over `fitted` vectors and to place `placed` more
    (synthetic unit vectors around 64 topic directions: the time does not depend on text)."""
    from indexing.vectors.placement import MapPlacer

    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(64, dim)).astype(np.float32)
    def draw(n):
        return directions[rng.integers(0, 64, n)] + rng.normal(scale=1.0, size=(n, dim)).astype(np.float32)
    base = draw(fitted)
    started = time.perf_counter()
    placer = MapPlacer.from_arrays(base, rng.normal(size=(fitted, 2)), rng.integers(0, 64, fitted))
    built = time.perf_counter() - started
    new = draw(placed)
    started = time.perf_counter()
    placer.place(new)
    seconds = time.perf_counter() - started
    return {"fitted": fitted, "placed": placed, "index": placer.kind, "build_seconds": round(built, 2),
            "place_seconds": round(seconds, 2), "docs_per_second": round(placed / seconds)}


def print_table(result: dict) -> None:
    print(f"\n{result['docs']:,} manual pages ({result['fitted']:,} fitted, {result['placed']:,} placed), "
          f"{result['k_clusters']} clusters; topics {result['topics']}")
    print(f"10 nearest in embedding space with the same topic: placed {result['vector_topic_rate']['placed']:.3f}, "
          f"fitted {result['vector_topic_rate']['fitted']:.3f} (the ceiling of any map)")
    print(f"\n{'method':62} {'map: placed':>12} {'map: fitted':>12} {'cluster: placed':>16} {'cluster: fitted':>16} "
          f"{'gap':>6}")
    rows = [("the build (loupe index with a new source)", result["pipeline"])] + list(result["variants"].items())
    for name, r in rows:
        gap = f"{r['gap_to_fitted']:6.2f}" if "gap_to_fitted" in r else ""
        print(f"{name:62} {r['map_topic_rate']['placed']:12.3f} {r['map_topic_rate']['fitted']:12.3f} "
              f"{r['cluster_topic_rate']['placed']:16.3f} {r['cluster_topic_rate']['fitted']:16.3f} {gap}")
    refit = result["refit"]
    print(f"{'after --remap: the same documents, fitted':62} {refit['map_topic_rate']['held_out']:12.3f} "
          f"{refit['map_topic_rate']['rest']:12.3f} {refit['cluster_topic_rate']['held_out']:16.3f} "
          f"{refit['cluster_topic_rate']['rest']:16.3f}")
    print("\nseconds: " + ", ".join(f"{k} {v}" for k, v in result["seconds"].items()))
    agree = result["variants"][LOUPE]["centroid_equals_majority"]
    print(f"nearest centroid = the 10 nearest fitted documents' majority cluster for {agree:.1%} of placed pages")
    if "speed" in result:
        fast = result["speed"]
        print(f"speed: {fast['placed']:,} placed on {fast['fitted']:,} fitted ({fast['index']} index): "
              f"{fast['place_seconds']} s, {fast['docs_per_second']:,} docs/s (index built in {fast['build_seconds']} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=None, help="Use only N pages (default: all).")
    parser.add_argument("--fit", type=float, default=0.8, help="Share of the pages the map is fitted on.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=int, nargs=2, default=(100_000, 20_000), metavar=("FITTED", "PLACED"),
                        help="Synthetic vectors for the speed figure (0 0: skip it).")
    parser.add_argument("--out", default=None, help="Result JSON [default: benchmarks/out/placement.json].")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="placement-"))
    try:
        started = time.perf_counter()
        result = run(args.docs, args.fit, args.seed, workdir)
        if args.speed[0] and args.speed[1]:
            result["speed"] = speed(*args.speed)
        result["wall_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.update({"fit_share": args.fit, "seed": args.seed, "neighbours": NEIGHBOURS,
                   "corpus": "manual pages (benchmarks/manpages.py), topic = section"})
    print_table(result)
    path = write_result("placement", result, args.out)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
