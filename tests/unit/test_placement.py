"""Unit tests for indexing.vectors.placement: MapPlacer on synthetic blobs, and the build
placing new rows on a fitted map (hashing embedder, real LanceDB and FAISS)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexing import Workspace
from indexing.errors import NotIndexedError, SettingError
from indexing.vectors import placement
from indexing.vectors.placement import MapPlacer, Placement
from tests.helpers import write_jsonl


def blobs(k: int, per: int, dim: int = 16, seed: int = 0, spread: float = 0.05):
    """`k` well separated groups of unit vectors, each fitted around its own spot of the map."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:k]  # orthonormal: far apart
    labels = np.repeat(np.arange(k), per)
    vectors = centres[labels] + spread * rng.normal(size=(k * per, dim))
    spots = np.array([[10.0 * c, -5.0 * c] for c in range(k)])
    xy = spots[labels] + rng.normal(scale=0.5, size=(k * per, 2))
    return vectors.astype(np.float32), xy.astype(np.float32), (labels * 7 + 3).astype(np.int32), centres, spots


def test_a_vector_equal_to_a_fitted_one_lands_exactly_on_it():
    vectors, xy, clusters, _, _ = blobs(3, 40)
    placer = MapPlacer.from_arrays(vectors, xy, clusters)
    picked = [0, 17, 119]
    placed = placer.place(vectors[picked] * 3.0)  # length does not matter: cosine
    assert np.array_equal(placed.x, xy[picked, 0]) and np.array_equal(placed.y, xy[picked, 1])
    assert np.array_equal(placed.cluster, clusters[picked])


@pytest.mark.parametrize("exact_max, kind", [(20_000, "flat"), (100, "ivf")])
def test_new_vectors_of_separated_blobs_get_their_blobs_cluster_and_place(monkeypatch, exact_max, kind):
    monkeypatch.setattr(placement, "EXACT_MAX", exact_max)  # above it: IVF (approximate) neighbours
    vectors, xy, clusters, centres, spots = blobs(4, 50, seed=1)
    placer = MapPlacer.from_arrays(vectors, xy, clusters)
    assert placer.kind == kind
    assert np.array_equal(placer.place(vectors[:5]).x, xy[:5, 0])  # a fitted vector lands on itself
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 4, 200)
    new = centres[truth] + 0.05 * rng.normal(size=(200, centres.shape[1]))
    placed = placer.place(new.astype(np.float32))
    assert placed.x.dtype == placed.y.dtype == np.float32 and placed.cluster.dtype == np.int32
    assert np.array_equal(placed.cluster, truth * 7 + 3)
    distance = np.hypot(placed.x - spots[truth, 0], placed.y - spots[truth, 1])
    assert distance.max() < 2.0  # on its blob's spot (the blob's points lie within ~1.5 of it)


def test_a_vector_between_two_islands_lands_on_the_nearer_one():
    """The weights fall off with similarity below the best, so a vector somewhat nearer to
    island A than to B lands on A, not in the empty middle a plain mean would give."""
    vectors, xy, clusters, centres, spots = blobs(2, 5, seed=3, spread=0.02)
    placer = MapPlacer.from_arrays(vectors, xy, clusters, k=10)  # its 10 neighbours: 5 on each island
    between = (0.62 * centres[0] + 0.38 * centres[1])[None, :].astype(np.float32)
    placed = placer.place(between)
    assert np.hypot(placed.x[0] - spots[0, 0], placed.y[0] - spots[0, 1]) < 2.0
    assert placed.cluster[0] == 3  # island 0's
    plain = MapPlacer.from_arrays(vectors, xy, clusters, k=10, temperature=1e6).place(between)
    assert np.hypot(plain.x[0] - spots[0, 0], plain.y[0] - spots[0, 1]) > 2.0  # what the weighting avoids


def test_temperature_zero_takes_the_nearest_neighbours_place():
    vectors, xy, clusters, _, _ = blobs(3, 20, seed=4)
    rng = np.random.default_rng(5)
    new = (vectors[:10] + 0.01 * rng.normal(size=(10, vectors.shape[1]))).astype(np.float32)
    placed = MapPlacer.from_arrays(vectors, xy, clusters, temperature=0).place(new)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest = np.argmax((new / np.linalg.norm(new, axis=1, keepdims=True)) @ unit.T, axis=1)
    assert np.array_equal(placed.x, xy[nearest, 0]) and np.array_equal(placed.y, xy[nearest, 1])


def test_no_vectors_to_place_is_an_empty_placement():
    vectors, xy, clusters, _, _ = blobs(2, 5)
    placed = MapPlacer.from_arrays(vectors, xy, clusters).place(np.empty((0, 16), np.float32))
    assert isinstance(placed, Placement) and len(placed) == 0
    assert placed.x.dtype == np.float32 and placed.cluster.dtype == np.int32


def test_batches_give_what_one_pass_gives(monkeypatch):
    vectors, xy, clusters, centres, _ = blobs(3, 30, seed=6)
    new = (centres[np.arange(25) % 3] + 0.1 * np.random.default_rng(7).normal(size=(25, 16))).astype(np.float32)
    placer = MapPlacer.from_arrays(vectors, xy, clusters)
    whole = placer.place(new)
    monkeypatch.setattr(placement, "BATCH", 4)
    steps = []
    parts = placer.place(new, advance=steps.append)
    assert steps == [4, 4, 4, 4, 4, 4, 1]
    for name in ("x", "y", "cluster"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name))


def test_fewer_fitted_vectors_than_k_still_place():
    vectors, xy, clusters, _, _ = blobs(1, 3)
    placed = MapPlacer.from_arrays(vectors, xy, clusters, k=10).place(vectors[:1] + 0.01)
    assert xy[:, 0].min() <= placed.x[0] <= xy[:, 0].max() and placed.cluster[0] == clusters[0]


@pytest.mark.parametrize("build, message", [
    (lambda v, xy, c: MapPlacer.from_arrays(v, xy[:-1], c), "pairs"),
    (lambda v, xy, c: MapPlacer.from_arrays(v, xy, c[:, None]), "clusters"),
    (lambda v, xy, c: MapPlacer.from_arrays(v[:0], xy[:0], c[:0]), "at least one"),
    (lambda v, xy, c: MapPlacer.from_arrays(v, np.full_like(xy, np.nan), c), "NaN"),
    (lambda v, xy, c: MapPlacer.from_arrays(v, xy, c, k=0), "k must"),
    (lambda v, xy, c: MapPlacer.from_arrays(v, xy, c).place(np.ones((2, 8), np.float32)), "8-d"),
    (lambda v, xy, c: MapPlacer.from_arrays(v, xy, c).place(np.full((1, 16), np.nan, np.float32)), "NaN"),
])
def test_bad_arrays_are_setting_errors_that_say_what_is_wrong(build, message):
    vectors, xy, clusters, _, _ = blobs(2, 5)
    with pytest.raises(SettingError, match=message):
        build(vectors, xy, clusters)


# ---- the build: a grown workspace keeps its map -------------------------------------------


def _map(ws: Workspace) -> dict[str, tuple]:
    table = ws.docs(columns=["id", "x", "y", "cluster", "placed"])
    return {row["id"]: (row["x"], row["y"], row["cluster"], row["placed"]) for row in table.to_pylist()}


@pytest.fixture()
def grown(indexed_workspace, stdlib_rows, tmp_path):
    """A workspace fitted on 60 rows (hash:32, the first two vector coordinates as the map),
    then grown by 30, with the map as it was before."""
    ws = indexed_workspace(stdlib_rows[:60], map=False)
    before = _map(ws)
    report = ws.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[60:90])])
    return ws, before, report


def test_new_rows_are_placed_and_every_fitted_point_keeps_its_place_and_cluster(grown):
    ws, before, report = grown
    after = _map(ws)
    assert len(after) == 90
    assert all(after[i] == (x, y, c, False) for i, (x, y, c, _) in before.items())  # bit for bit
    new = [v for i, v in after.items() if i not in before]
    assert len(new) == 30 and all(p is True and None not in (x, y, c) for x, y, c, p in new)
    fitted_clusters = {v[2] for v in before.values()}
    assert {v[2] for v in new} <= fitted_clusters
    stages = ws.state.stages
    assert stages["project"] | {"seconds": 0, "at": ""} == {"rows": 90, "seconds": 0, "at": "", "new": 30,
                                                            "placed": 30, "fitted": 60}
    assert stages["cluster"]["placed"] == 30 and stages["cluster"]["k"] == ws.store.clusters().num_rows
    sizes = ws.store.clusters().to_pydict()
    counted = np.bincount([v[2] for v in after.values()], minlength=max(sizes["cluster"]) + 1)
    assert sizes["size"] == [int(counted[c]) for c in sizes["cluster"]] and sum(sizes["size"]) == 90
    assert ws.info()["placed"] == 30 and ws.info()["ready"]
    assert any("30 new documents placed" in n for n in report.notes)
    assert not any("--remap" in n for n in report.notes)  # 30 placed, 60 fitted: no need yet
    recorded = json.loads((ws.root / "workspace.json").read_text())["stages"]["project"]
    assert recorded["placed"] == 30 and recorded["fitted"] == 60


def test_placement_draws_on_fitted_rows_only_and_suggests_a_remap_when_they_are_outnumbered(grown, stdlib_rows,
                                                                                             tmp_path):
    ws, before, _ = grown
    assert MapPlacer.from_workspace(ws).size == 60  # the 30 placed rows are not a base for more
    middle = _map(ws)
    report = ws.index([write_jsonl(tmp_path / "most.jsonl", stdlib_rows[90:150])])
    after = _map(ws)
    assert all(after[i] == v for i, v in middle.items())
    assert ws.info()["placed"] == 90
    assert any("90 documents are placed, more than the 60" in n and "--remap" in n for n in report.notes)


def test_remap_fits_the_map_and_clusters_again_over_every_row(grown, monkeypatch):
    ws, before, _ = grown
    fitted = []
    monkeypatch.setattr("indexing.workspace.pipeline.project",
                        lambda vectors, **_: fitted.append(len(vectors)) or np.asarray(vectors[:, 2:4], np.float32))
    report = ws.index(remap=True)
    assert fitted == [90] and report.rows_stored == 0
    after = _map(ws)
    assert all(v[3] is False for v in after.values()) and ws.info()["placed"] == 0
    assert any(after[i][:2] != v[:2] for i, v in before.items())  # the new map
    assert ws.state.stages["project"]["fitted"] == 90 and "remap" not in ws.state.stages["cluster"]
    assert ws.info()["ready"]


def test_a_killed_remap_resumes_as_a_remap(grown):
    """A remap is recorded before it starts: a run after a kill fits again, never places."""
    from indexing.workspace.stages import record_stages, stage_entry

    ws, _, _ = grown
    record_stages(ws, {s: stage_entry(0, 0.0, remap=True) for s in ("project", "cluster")})  # as a kill leaves it
    assert not Workspace.open(ws.root).info()["ready"]
    ws = Workspace.open(ws.root)
    ws.index()
    assert ws.info()["placed"] == 0 and ws.info()["ready"]
    assert ws.state.stages["cluster"]["fitted"] == 90


def test_a_kill_between_placing_the_map_and_counting_the_clusters_is_finished_by_a_rerun(
        indexed_workspace, stdlib_rows, tmp_path, monkeypatch):
    ws = indexed_workspace(stdlib_rows[:60], map=False)
    before = _map(ws)

    def killed(store):
        raise KeyboardInterrupt

    monkeypatch.setattr("indexing.workspace.pipeline.count_cluster_sizes", killed)
    with pytest.raises(KeyboardInterrupt):
        ws.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[60:90])])
    monkeypatch.undo()
    ws = Workspace.open(ws.root)
    assert "cluster" not in ws.info()["stages_done"]
    ws.index()
    after = _map(ws)
    assert all(after[i] == v for i, v in before.items()) and ws.info()["placed"] == 30 and ws.info()["ready"]
    assert sum(ws.store.clusters().column("size").to_pylist()) == 90


def test_a_workspace_mapped_before_the_placed_column_grows_too(indexed_workspace, stdlib_rows, tmp_path):
    ws = indexed_workspace(stdlib_rows[:60], map=False)
    ws.store.table("docs").drop_columns(["placed"])  # as an older Loupe left it
    before = _map_without_placed(ws)
    ws.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[60:70])])
    after = _map(ws)
    assert all(after[i] == (*v, False) for i, v in before.items()) and ws.info()["placed"] == 10


def _map_without_placed(ws: Workspace) -> dict[str, tuple]:
    table = ws.docs(columns=["id", "x", "y", "cluster"])
    return {row["id"]: (row["x"], row["y"], row["cluster"]) for row in table.to_pylist()}


def test_from_workspace_needs_a_fitted_map(tmp_path, stdlib_rows):
    ws = Workspace.create(tmp_path / "ws", model="hash:32", id_field="id")
    with pytest.raises(NotIndexedError, match="map and clusters"):
        MapPlacer.from_workspace(ws)
