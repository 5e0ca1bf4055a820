"""The build of a workspace (`Workspace.index`, `loupe index`) as an explicit pipeline.

Each stage is a function that takes what it needs (the workspace or its store, options,
a progress reporter, the vectors it consumes) and returns what it makes (the row count,
the FAISS index's metadata, the map's coordinates, the clusters): no stage passes data
through attributes. `run` calls them in order, times each into the IndexReport, and
records each in `workspace.json` (`stages.record_stages`) once it has finished, so a
kill or an error leaves exactly the unfinished stages pending (`stages.stage_done`) and
the next run resumes there:

    ingest, signals, embed  one pass over the new source records (`ingest_sources`)
    text_index              LanceDB's full-text index over `text` (`build_text_index`)
    faiss                   the vector index over `docs.vector` (`build_faiss`)
    project                 the 2D map into `x`, `y` (`build_map`)
    cluster                 topic clusters, the topics above them, their keywords (`build_clusters`)

Once a workspace has a fitted map and clusters, rows added later are placed on them
(`indexing.vectors.placement`: x, y and cluster from their nearest fitted neighbours,
`placed` true) and every existing point stays where it was; `remap` fits both again over
every row. A remap is recorded before it starts, so a killed one resumes as a remap.
    refresh                 saved classifiers and the last dedup over new rows (`refresh_derived`)

This is the seam another executor uses: a Ray engine, or `loupe apply`, runs the same
stage functions in its own order and places, and records them the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from indexing.curate.cluster_names import NAMES_FILE, load_names
from indexing.ingest.ingest import IndexReport, Ingest, IngestOptions
from indexing.progress import Quiet, Reporter
from indexing.vectors.clustering import centroids, choose_k, kmeans
from indexing.vectors import onnx_model
from indexing.vectors.embedder import Embedder
from indexing.vectors.loading import BackgroundModel
from indexing.vectors.placement import PLACED, MapPlacer, count_cluster_sizes, place_missing
from indexing.vectors.projection import project
from indexing.vectors.topics import TOPIC_COLUMN, add_topics, corpus_languages, describe, fill_topics, has_topics
from indexing.vectors.stored import read_vectors
from indexing.vectors.vector_index import build_index
from indexing.workspace.lock import writer_lock
from indexing.errors import NotIndexedError, WorkspaceError
from indexing.workspace.stages import record_stages, stage_done, stage_entry

PASS = ("ingest", "signals", "embed")  # one pass over the records, recorded as three stages
BUILT = ("text_index", "faiss", "project", "cluster")  # over the whole table, after the pass


@dataclass(frozen=True)
class Vectors:
    """Every document's id and embedding, in docs order: read once, for faiss, map and clusters."""

    ids: list[str]
    matrix: np.ndarray  # (n, dim) float32


@dataclass(frozen=True)
class Clusters:
    """What the cluster stage made: k, and each document's cluster in docs order."""

    k: int
    labels: np.ndarray  # int32
    topics: int = 0


# ---- the stages -----------------------------------------------------------------


def check_model(workspace, embedder: Embedder) -> None:
    """Refuse a model whose vectors differ in size from the stored ones; record the model
    name, dimension and token limit in workspace.json (as the first run fixes them)."""
    state = workspace.state
    if state.dimension and state.dimension != embedder.dimension:
        raise WorkspaceError(
            f"{workspace.root} holds {state.dimension}-d vectors of {state.model}; "
            f"the loaded model gives {embedder.dimension}"
        )
    state.model = embedder.name
    state.dimension = embedder.dimension
    state.max_tokens = embedder.max_tokens
    state.model_fingerprint = embedder.fingerprint
    state.save(workspace.root)


def ingest_sources(workspace, embedder: Embedder, sources: Sequence[str], options: IngestOptions,
                   report: IndexReport, progress: Reporter, engine: dict | None = None) -> int:
    """The pass over the new records of `sources` (read, signals, embed, store, compact);
    returns the rows stored now. `engine`: None (this process) or the Ray engine's settings
    (address, device, batch_size: indexing.engines.ray_index)."""
    store = workspace.store
    before = store.count()
    if engine is None:
        ingest = Ingest(workspace.root, workspace.state, store, embedder, options, report, progress)
    else:
        from indexing.engines.ray_index import RayIngest

        ingest = RayIngest(workspace.root, workspace.state, store, embedder, options, report, progress)
        ingest.address, ingest.device, ingest.batch_size = engine["address"], engine["device"], engine["batch_size"]
    ingest.run(list(sources))
    rows = store.count()
    if rows != before:
        started = time.perf_counter()
        store.compact()
        report.timed("ingest", time.perf_counter() - started)
    return rows


def build_text_index(store, progress: Reporter) -> None:
    """LanceDB's full-text index over `text` (what `keyword_search` asks)."""
    with progress.stage("keywords", 1, unit="index") as advance:
        store.ensure_text_index()
        advance(1)


def load_vectors(store) -> Vectors:
    """The stored ids and vectors the faiss, project and cluster stages consume."""
    ids, matrix = read_vectors(store)
    return Vectors(ids.to_pylist(), matrix)


def build_faiss(root, vectors: Vectors, progress: Reporter) -> dict:
    """The FAISS index over `vectors`, swapped in whole; returns its metadata."""
    with progress.stage("faiss", len(vectors.ids)) as advance:
        meta = build_index(root, vectors.matrix, vectors.ids)
        advance(len(vectors.ids))
    return meta


def build_map(store, vectors: Vectors, progress: Reporter) -> np.ndarray:
    """The 2D map of `vectors`, written as the `x`, `y` columns (every row fitted: `placed`
    false); returns the (n, 2) coordinates."""
    with progress.stage("map", len(vectors.matrix)) as advance:
        coords = project(vectors.matrix, advance=advance)
    store.replace_columns(pa.table({"id": vectors.ids, "x": coords[:, 0], "y": coords[:, 1],
                                    PLACED: np.zeros(len(coords), dtype=bool)}))
    return coords


def build_clusters(store, vectors: Vectors, k: int | None, progress: Reporter) -> Clusters:
    """k-means over `vectors` (k None: chosen from the rows), written as the `cluster` and
    `cluster_topic` columns, the `clusters` table (size, keywords, centre on the map, topic) and the
    `topics` table (indexing.vectors.topics)."""
    k = k or choose_k(len(vectors.matrix))
    with progress.stage("clusters", 3, unit="steps") as advance:
        fitted = kmeans(vectors.matrix, k)
        centres = centroids(vectors.matrix, fitted, k)
        advance(1)
        docs = store.read_docs(columns=["id", "text", "x", "y"])
        by_id = dict(zip(vectors.ids, fitted))
        labels = np.array([by_id[i] for i in docs.column("id").to_pylist()], dtype=np.int32)
        described = describe(docs.column("text").to_pylist(), labels, centres,
                             *(docs.column(c).to_numpy(zero_copy_only=False).astype(np.float64) for c in ("x", "y")),
                             k, corpus_languages(store))
        advance(1)
        store.replace_columns(pa.table({"id": docs.column("id"), "cluster": labels,
                                        TOPIC_COLUMN: described.topic_of_doc}))
        store.write_clusters(described.clusters)
        store.write_topics(described.topics)
        advance(1)
    return Clusters(int(k), labels, described.topics.num_rows)


def refresh_derived(workspace, report: IndexReport, progress: Reporter) -> dict:
    """Columns computed from the whole corpus cover new rows too: every saved classifier
    scores them, and the last dedup runs again with its settings, so a `score_<name>`
    threshold or `dup_keep = true` never silently drops them as null. rescore and dedup
    each take the writer lock themselves. A damaged classifier does not stop the others
    or the dedup, but raises a WorkspaceError at the end that names its file and what to
    do. Returns what ran: {"classifiers": [...], "dedup": method or None}."""
    from indexing.curate import classifiers
    from indexing.curate.dedup import dedup, last_run
    from indexing.errors import DedupError

    started = time.perf_counter()
    names = classifiers.list_classifiers(workspace)
    problems = []
    for name in names:
        try:
            classifiers.rescore(workspace, name, progress)
        except classifiers.ClassifierError as error:
            problems.append(str(error))
    if names:
        report.timed("rescore", time.perf_counter() - started)
    previous = last_run(workspace)
    if previous:
        dedup_started = time.perf_counter()
        try:
            dedup(workspace, previous["method"], previous["threshold"], keep=previous["keep"],
                  score_column=previous.get("score_column"), progress=progress)
        except DedupError as error:
            problems.append(f"re-running the last dedup ({previous['method']}): {error}")
        report.timed("dedup", time.perf_counter() - dedup_started)
    if problems:
        raise WorkspaceError(
            "the refresh of the new rows' scores and duplicates is not finished: " + "; ".join(problems)
            + f". Then run `loupe index -w {workspace.root}` to finish it."
        )
    return {"classifiers": names, "dedup": previous["method"] if previous else None}


# ---- the runner -----------------------------------------------------------------


def _timed(report: IndexReport, stage: str, step: Callable, *args):
    started = time.perf_counter()
    result = step(*args)
    report.timed(stage, time.perf_counter() - started)
    return result


def _record(workspace, stage: str, rows: int, seconds: float, **extra) -> None:
    record_stages(workspace, {stage: stage_entry(rows, seconds, **extra)})


def run(workspace, sources: Sequence[str], options: IngestOptions, *, device: str = "auto",
        batch_size: int | None = None, clusters: int | None = None, remap: bool = False,
        progress: Reporter | None = None, engine: str = "local", address: str | None = None) -> IndexReport:
    """Every stage in order, each skipped when done over the rows stored now, each recorded
    when it finishes; see `Workspace.index` for what the arguments mean."""
    progress = progress or Quiet()
    report = IndexReport()
    with writer_lock(workspace.root):
        model = BackgroundModel(lambda: workspace.embedder(device, batch_size),
                                lambda embedder: check_model(workspace, embedder))
        report.timed("load model", 0.0)  # first in the summary, as the first thing started
        before = workspace.store.count()
        ray = {"address": address, "device": device, "batch_size": batch_size} if engine == "ray" else None
        rows = ingest_sources(workspace, model, [str(s) for s in sources], options, report, progress, ray)
        embedder = model.result()  # loaded and checked even when no record needed it
        report.timed("load model", model.seconds)
        if onnx_model.wanted(embedder):  # for searches without torch, while the model is loaded anyway
            with progress.stage("export the model for searches (once per machine)"):
                _timed(report, "export model", onnx_model.export, embedder)
        for stage in PASS:
            if rows != before or not stage_done(workspace, stage, rows):  # a killed run may have stored them all
                _record(workspace, stage, rows, report.seconds.get(stage, 0.0))
        if rows:
            _build(workspace, rows, clusters, remap, report, progress)
    if rows and (rows != before or not stage_done(workspace, "refresh", rows)):
        started = time.perf_counter()
        ran = refresh_derived(workspace, report, progress)
        seconds = time.perf_counter() - started
        with writer_lock(workspace.root):  # rescore and dedup took (and released) it themselves
            _record(workspace, "refresh", rows, seconds, **ran)
    return report


def _build(workspace, rows: int, k: int | None, remap: bool, report: IndexReport, progress: Reporter) -> None:
    """The stages over the whole table that are not done over `rows`; the vectors are read
    once, and only when a stage needs them."""
    if remap:  # recorded first: a killed remap resumes as one
        record_stages(workspace, {s: stage_entry(0, 0.0, remap=True) for s in ("project", "cluster")})
    pending = [stage for stage in BUILT if not stage_done(workspace, stage, rows)]
    store = workspace.store
    if "text_index" in pending:
        _timed(report, "text_index", build_text_index, store, progress)
        _record(workspace, "text_index", rows, report.seconds["text_index"])
    # clusters fitted before topics existed get them now, their numbers and keywords kept
    old_clusters = store.has("clusters") and not has_topics(store) and "cluster" not in pending
    if not set(pending) & {"faiss", "project", "cluster"} and not old_clusters:
        return
    vectors = load_vectors(store)
    if "faiss" in pending:
        meta = _timed(report, "faiss", build_faiss, workspace.root, vectors, progress)
        _record(workspace, "faiss", rows, report.seconds["faiss"], kind=meta["kind"])
    placer = _placer(workspace) if set(pending) & {"project", "cluster"} else None
    if "project" in pending and placer:
        made = _timed(report, "project", place_missing, store, vectors.ids, vectors.matrix, placer, progress)
        _record(workspace, "project", rows, report.seconds["project"], **made)
        report.notes.extend(_placement_notes(workspace.root, made, k))
    elif "project" in pending:
        _timed(report, "project", build_map, store, vectors, progress)
        _record(workspace, "project", rows, report.seconds["project"], placed=0, fitted=rows)
    if "cluster" in pending and placer:
        made = _timed(report, "cluster", place_missing, store, vectors.ids, vectors.matrix, placer, progress)
        k_fitted = count_cluster_sizes(store)
        fill_topics(store)  # placed documents take their cluster's topic
        old_clusters = not has_topics(store)
        _record(workspace, "cluster", rows, report.seconds["cluster"], k=k_fitted, placed=made["placed"],
                fitted=made["fitted"], topics=store.topics().num_rows)
    elif "cluster" in pending:
        made = _timed(report, "cluster", build_clusters, store, vectors, k, progress)
        _record(workspace, "cluster", rows, report.seconds["cluster"], k=made.k, placed=0, fitted=rows,
                topics=made.topics)
        stale = load_names(workspace.root, store).stale
        if stale:
            report.notes.append(f"{stale} cluster and topic names given by hand belong to the earlier clustering: "
                                f"kept in {NAMES_FILE} but not shown on the new clusters; name them again")
    if old_clusters:
        topics = _timed(report, "topics", add_topics, store, vectors.ids, vectors.matrix)
        record_stages(workspace, {"cluster": {**workspace.state.stages.get("cluster", {}), "topics": topics}})
        report.notes.append(f"{topics} topics fitted over the existing clusters (their numbers and keywords kept; "
                            "`loupe index --remap` fits clusters with the multilingual keywords)")


def _placer(workspace) -> MapPlacer | None:
    """The fitted map and clusters that new rows are placed on; None when they are to be
    fitted (a first index, a remap asked for or unfinished, or no map and clusters to keep)."""
    stages = workspace.state.stages
    if any(stages.get(stage, {}).get("remap") for stage in ("project", "cluster")):
        return None
    if not workspace.store.has("clusters"):
        return None
    try:
        return MapPlacer.from_workspace(workspace)
    except NotIndexedError:
        return None


def _placement_notes(root, made: dict, k: int | None) -> list[str]:
    """What the summary says after a placement: how many were placed, and when to remap."""
    if not made["new"]:
        return []
    notes = [f"{made['new']:,} new documents placed on the existing map and clusters (fitted on "
             f"{made['fitted']:,}); every existing point kept its place and cluster"]
    if made["placed"] > made["fitted"]:
        notes.append(f"{made['placed']:,} documents are placed, more than the {made['fitted']:,} the map was "
                     f"fitted on: run `loupe index -w {root} --remap` to fit the map and the clusters again")
    if k:
        notes.append(f"--clusters {k} takes effect when the map is fitted again (`--remap`)")
    return notes
