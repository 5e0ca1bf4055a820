"""A preview workspace upgraded to the full model (`loupe index --full`, `Workspace.upgrade`).

Every step is safe against a kill, and the same command finishes the work:

1. re-embed: the stored texts are streamed in docs order, chunk by chunk, through the
   full model; each chunk's ids and vectors land whole in `WS/.upgrade/<model>/chunk-N.npz`
   (a temporary file renamed into place). A rerun keeps the chunks whose ids are all still
   in docs and embeds only the rest.
2. swap: the `vector` column is replaced in one `Store.replace_columns` (Lance drops the
   old column and merges the new one; a kill between the two leaves no `vector` column,
   and the chunks, still on disk, let the rerun write it).
3. record: workspace.json gets the full model's name, dimension, token limit and
   fingerprint; FAISS is marked pending and the map and clusters as a remap; then the
   chunks are removed.
4. classifiers: each saved classifier trained on other vectors than the workspace's now
   is retrained from the current labels with its own settings (label, classes, C, seed);
   one that cannot be (its labels were removed) is reported, and the refresh then names it.

The caller (`Workspace.upgrade`) then runs the pending stages: FAISS, the map and clusters
fitted again over every row, and the refresh of scores and the last dedup. Labels are
events keyed by document id in their own table, so they are never touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from indexing.errors import ClassifierError, NotIndexedError
from indexing.progress import Quiet, Reporter
from indexing.workspace.stages import record_stages, stage_entry

SCRATCH = ".upgrade"
CHUNK_ROWS = 1024  # texts per chunk file: the ingest's default chunk, so batches form as a fresh index's do


def scratch_dir(root: Path, model: str) -> Path:
    return Path(root) / SCRATCH / hashlib.sha256(model.encode("utf-8")).hexdigest()[:16]


def _save_chunk(folder: Path, number: int, ids: list[str], vectors: np.ndarray) -> None:
    """One chunk's ids and vectors, appearing whole or not at all."""
    fd, tmp = tempfile.mkstemp(prefix=".chunk-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, ids=np.array(ids, dtype=object).astype(str), vectors=vectors)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / f"chunk-{number:06d}.npz")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_chunks(folder: Path, stored: set[str]) -> dict[str, np.ndarray]:
    """id -> vector from every finished chunk whose ids are all still stored."""
    found: dict[str, np.ndarray] = {}
    for path in sorted(folder.glob("chunk-*.npz")):
        try:
            with np.load(path, allow_pickle=False) as data:
                ids, vectors = data["ids"].tolist(), data["vectors"]
        except (OSError, ValueError, KeyError, EOFError):
            path.unlink(missing_ok=True)  # unreadable: embedded again
            continue
        if not set(ids) <= stored:
            path.unlink(missing_ok=True)
            continue
        found.update(zip(ids, vectors))
    return found


def reembed(workspace, embedder, chunk_rows: int | None = None,
            progress: Reporter | None = None) -> tuple[list[str], np.ndarray]:
    """Every stored row's id and its vector from `embedder`, in docs order (step 1)."""
    progress, chunk_rows = progress or Quiet(), chunk_rows or CHUNK_ROWS
    store = workspace.store
    folder = scratch_dir(workspace.root, embedder.name)
    folder.mkdir(parents=True, exist_ok=True)
    ids = store.read_docs(columns=["id"]).column("id").to_pylist()
    if not ids:
        raise NotIndexedError(workspace.root)
    done = _load_chunks(folder, set(ids))
    number = max((int(p.stem.split("-")[1]) for p in folder.glob("chunk-*.npz")), default=-1) + 1
    dataset = store.table("docs").to_lance()
    with progress.stage("re-embed", len(ids)) as advance:
        advance(len(done))
        for batch in dataset.to_batches(columns=["id", "text"], batch_size=chunk_rows):
            batch_ids = batch.column("id").to_pylist()
            todo = [i for i, doc_id in enumerate(batch_ids) if doc_id not in done]
            if not todo:
                continue
            texts = batch.column("text").to_pylist()
            chunk_ids, chunk_texts = [batch_ids[i] for i in todo], [texts[i] for i in todo]
            vectors = embedder.encode(chunk_texts, embedder.count_tokens(chunk_texts), advance)
            _save_chunk(folder, number, chunk_ids, vectors)
            number += 1
            done.update(zip(chunk_ids, vectors))
    matrix = np.stack([done[i] for i in ids]).astype(np.float32, copy=False)
    return ids, matrix


def swap_vectors(store, ids: list[str], matrix: np.ndarray) -> None:
    """The `vector` column replaced by `matrix` (step 2)."""
    dim = matrix.shape[1]
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1), pa.float32()), dim)
    store.replace_columns(pa.table({"id": pa.array(ids, pa.string()), "vector": vectors}))


def record_model(workspace, embedder, rows: int) -> None:
    """workspace.json names the full model; FAISS, the map and clusters are pending (step 3)."""
    from indexing.workspace.manifest import WorkspaceState

    state = WorkspaceState.load(workspace.root)
    state.model, state.dimension = embedder.name, embedder.dimension
    state.max_tokens, state.model_fingerprint = embedder.max_tokens, embedder.fingerprint
    state.save(workspace.root)
    workspace.state = state
    record_stages(workspace, {
        "embed": stage_entry(rows, 0.0, upgraded=True),
        "faiss": stage_entry(0, 0.0),
        "project": stage_entry(0, 0.0, remap=True),
        "cluster": stage_entry(0, 0.0, remap=True),
        "refresh": stage_entry(0, 0.0),
    })


def retrain_classifiers(workspace, progress: Reporter | None = None) -> tuple[list[str], list[str]]:
    """Retrain each saved classifier whose vectors are not the workspace's (step 4); returns
    (retrained names, problems)."""
    from indexing.curate.classifiers import storage, train

    retrained, problems = [], []
    state = workspace.state
    for name in storage.list_classifiers(workspace.root):
        try:
            old = storage.load(workspace.root, name)
        except ClassifierError as error:
            problems.append(str(error))
            continue
        if old.model == state.model and old.dimension == state.dimension:
            continue
        params = old.params
        try:
            train(workspace, old.label, old.positive, old.negative, name, C=float(params.get("C", 1.0)),
                  unlabelled_negatives=int(params.get("unlabelled_negatives", 10_000)),
                  seed=int(params.get("seed", 0)), progress=progress)
        except ClassifierError as error:
            problems.append(f"classifier {name!r} was trained on {old.model} vectors and could not be retrained "
                            f"on {state.model}'s ({error})")
            continue
        retrained.append(name)
    return retrained, problems


def upgrade_vectors(workspace, embedder, progress: Reporter | None = None) -> int:
    """Steps 1 to 3 under the caller's writer lock; returns the rows re-embedded."""
    ids, matrix = reembed(workspace, embedder, progress=progress)
    swap_vectors(workspace.store, ids, matrix)
    record_model(workspace, embedder, len(ids))
    shutil.rmtree(Path(workspace.root) / SCRATCH, ignore_errors=True)
    return len(ids)
