"""A workspace: one folder that holds everything about one corpus.

This is the public entry point of the engine, for the command line and for
notebooks alike:

    ws = Workspace.create("my-ws")            # or Workspace.open("my-ws")
    ws.index(["data.jsonl"])                  # ingest, signals, embed, faiss, map, clusters
    ws.docs(where="tokens > 100", columns=["id", "text"])
    ws.search("parse a date string", k=5)     # by meaning, through FAISS
    ws.keyword_search("timezone", k=5)        # by words, LanceDB full-text search
    ws.neighbors(doc_id, k=5)
    ws.more_like(ids, k=5), ws.least_like(ids, k=5)   # search by example (their centroid)
    ws.labels.add(ids, "quality", "bad")      # append-only label events; ws.labels.undo()
    ws.select("tokens > 100 AND quality != 'bad'")   # ids of a selection (docs + labels)

A Workspace opens, reads and queries; `index` hands the build to `pipeline.run`, whose
stages are functions of their own (ingest, signals, embed, text index, FAISS, map,
clusters, refresh), each recorded in workspace.json (`stages.py`).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa

from indexing import __version__
from indexing.errors import NotIndexedError, SettingError, WorkspaceError
from indexing.curate.label_scheme import load_scheme, save_scheme
from indexing.curate import by_example
from indexing.curate.labels import Labels
from indexing.curate.selection import select_ids
from indexing.ingest.ingest import IndexReport, IngestOptions
from indexing.progress import Reporter
from indexing.vectors import onnx_model
from indexing.vectors.embedder import DEFAULT_MODEL, Embedder, load_embedder
from indexing.vectors.preview import base_name, is_preview, preview_name
from indexing.vectors.vector_index import VectorIndex
from indexing.workspace import pipeline
from indexing.workspace.info import workspace_info
from indexing.workspace.lock import writer_lock
from indexing.workspace.manifest import STATE_FILE, WorkspaceState
from indexing.workspace.sql import sql_in
from indexing.workspace.store import Store

SCORE = "_score"  # the score column search, keyword_search and neighbors add to docs rows


class Workspace:
    """A corpus on disk: `lance/` (the record), `faiss/`, `workspace.json`, `exports/`."""

    def __init__(self, root: Path, state: WorkspaceState):
        self.root = Path(root)
        self.state = state
        self.store = Store(self.root)
        self._embedder: Embedder | None = None
        self._query_model: tuple[str, Embedder | None] | None = None  # (model name, its ONNX export)
        self._index: VectorIndex | None = None
        self._progress: Reporter | None = None  # the build's, for a preview's first distillation

    # ---- opening ----------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        model: str = DEFAULT_MODEL,
        text_field: str = "text",
        id_field: str | None = None,
        exist_ok: bool = False,
    ) -> "Workspace":
        """Make a new, empty workspace folder (the model and field names are fixed here).

        `model`: a sentence-transformers name or local path (or "hash:<dim>" for tests);
        `text_field`: the source field that holds the text; `id_field`: the field that
        holds a unique id (None: ids are `<source path>:<line>`); `exist_ok`: open an
        existing workspace instead of raising WorkspaceError.
        """
        root = Path(path)
        if (root / STATE_FILE).exists():
            if exist_ok:
                return cls.open(root)
            raise WorkspaceError(f"{root} is already a workspace; use Workspace.open")
        root.mkdir(parents=True, exist_ok=True)
        state = WorkspaceState(
            loupe_version=__version__, model=model, text_field=text_field, id_field=id_field
        )
        state.save(root)
        workspace = cls(root, state)
        workspace.store.ensure_labels()
        return workspace

    @classmethod
    def open(cls, path: str | Path) -> "Workspace":
        """The workspace in folder `path`; WorkspaceError when it holds no workspace.json."""
        root = Path(path)
        if not (root / STATE_FILE).exists():
            raise WorkspaceError(f"{root} is not a Loupe workspace (no {STATE_FILE})")
        return cls(root, WorkspaceState.load(root))

    def embedder(self, device: str = "auto", batch_size: int | None = None) -> Embedder:
        """The workspace's model (a `preview:` one is the static model distilled from it)."""
        if self._embedder is None:
            self._embedder = load_embedder(self.state.model, device, batch_size, progress=self._progress)
        return self._embedder

    def query_embedder(self) -> Embedder:
        """What a search embeds its query with: the model when this object has loaded it, else
        its ONNX export when this machine has one (onnx_model.py: no torch, so a first
        `loupe search` or notebook search waits about a second instead of ten), else the model."""
        if self._embedder is not None:
            return self._embedder
        if self._query_model is None or self._query_model[0] != self.state.model:
            self._query_model = (self.state.model, onnx_model.load_cached(self.state.model))
        return self._query_model[1] or self.embedder()

    @property
    def is_preview(self) -> bool:
        """Whether the vectors are a preview's (a static model distilled from the model)."""
        return is_preview(self.state.model)

    def _choose_preview(self) -> None:
        """Make the model a preview of itself; only before the first row is stored."""
        if self.is_preview:
            return
        if self.store.count():
            raise WorkspaceError(f"{self.root} already holds vectors of {self.state.model}; a preview is chosen "
                                 "when a workspace is first indexed (index into a new workspace with --preview)")
        self.state.model, self.state.dimension = preview_name(self.state.model), 0
        self.state.save(self.root)
        self._embedder = None

    # ---- building ---------------------------------------------------------

    def index(
        self,
        sources: Sequence[str | Path] = (),
        *,
        limit: int | None = None,
        sample: int | None = None,
        seed: int = 0,
        on_error: str = "skip",
        max_chars: int = IngestOptions.max_chars,
        device: str = "auto",
        batch_size: int | None = None,
        clusters: int | None = None,
        remap: bool = False,
        chunk_size: int = IngestOptions.chunk_size,
        max_fields: int = IngestOptions.max_fields,
        preview: bool = False,
        full: bool = False,
        progress: Reporter | None = None,
        engine: str = "local",
        address: str | None = None,
    ) -> IndexReport:
        """Bring the workspace up to date with `sources`; every stage resumes after a crash.

        New sources are added without re-embedding stored rows; the FAISS index and the
        refresh (saved classifiers' scores, the last dedup) run again when the rows
        changed, and the new rows are placed on the existing map and clusters (`placed`
        true; every existing point keeps its x, y and cluster). With no sources, only the
        stages left pending (by a kill or an error) run. Returns what was done.

        `limit` / `sample`: the first N / a seeded random N records of each source;
        `on_error`: "skip" (log rejected records) or "fail"; `max_chars`: longer texts are
        rejected; `device`, `batch_size`: for the model; `clusters`: k (None: chosen from
        the rows; used when the map is fitted); `remap`: fit the map and the clusters again
        over every row (none placed after); `chunk_size`: rows per commit; `max_fields`:
        source fields with a column of their own (the rest go to `extra_fields`);
        `preview`: embed with a static model distilled from the workspace's model (model2vec,
        cached per model; only when the workspace holds no rows yet); `full`: first upgrade
        a preview workspace to the full model (`upgrade`); `progress`: a Reporter; `engine`:
        "local" or "ray" (the pass over the records on a Ray cluster: `address` None starts a
        local one, "auto" or "ray://..." attaches; the stages over the whole table run here
        either way).
        """
        from indexing.engines import check_engine

        check_engine(engine)
        if preview and full:
            raise SettingError("preview and full exclude each other: a preview is the quick first look, full "
                               "replaces it by the model's own vectors")
        if full:
            upgraded = self.upgrade(device=device, batch_size=batch_size, clusters=clusters, progress=progress)
            if not sources:
                return upgraded
        if preview:
            self._choose_preview()
        options = IngestOptions(
            text_field=self.state.text_field, id_field=self.state.id_field, limit=limit,
            sample=sample, seed=seed, on_error=on_error, max_chars=max_chars, chunk_size=chunk_size,
            max_fields=max_fields,
        )
        self._progress = progress
        try:
            return pipeline.run(self, sources, options, device=device, batch_size=batch_size,
                                clusters=clusters, remap=remap, progress=progress, engine=engine, address=address)
        finally:
            self._index = None  # the next query loads the FAISS index the build may have swapped
            self._progress = None

    def upgrade(self, *, device: str = "auto", batch_size: int | None = None, clusters: int | None = None,
                progress: Reporter | None = None) -> IndexReport:
        """Replace a preview's vectors by the full model's (`upgrade.py`: every stored row
        re-embedded, resumably), retrain the classifiers from their labels, then fit FAISS,
        the map and the clusters again and refresh the scores. Labels are kept. On a workspace
        that is not a preview, only what a killed upgrade left undone runs."""
        from indexing.workspace import upgrade

        rows, seconds = 0, {}
        with writer_lock(self.root):
            self.state = WorkspaceState.load(self.root)
            if self.is_preview:  # not upgraded by another process meanwhile
                started = time.perf_counter()
                full = load_embedder(base_name(self.state.model), device, batch_size)
                seconds["load full model"] = time.perf_counter() - started
                rows = upgrade.upgrade_vectors(self, full, progress)
                seconds["re-embed"] = time.perf_counter() - started - seconds["load full model"]
                self._embedder = full
            shutil.rmtree(self.root / upgrade.SCRATCH, ignore_errors=True)  # a kill after the record left it
        retrained, problems = upgrade.retrain_classifiers(self, progress)
        report = self.index(device=device, batch_size=batch_size, clusters=clusters, progress=progress)
        report.seconds = {**seconds, **report.seconds}
        if rows:
            report.notes.insert(0, f"{rows:,} documents re-embedded with {self.state.model}; the map and the "
                                   "clusters were fitted again; labels kept")
        report.notes.extend(f"classifier {name!r} retrained on the full model's vectors" for name in retrained)
        report.notes.extend(problems)
        return report

    # ---- reading ----------------------------------------------------------

    def docs(self, where: str | None = None, columns: Sequence[str] | None = None) -> pa.Table:
        """Rows of `docs` as a pyarrow Table, in docs order; `where` is a SQL predicate over
        its columns and the current labels, evaluated exactly as a selection is (one engine
        for every user predicate, so docs, count, select and export agree; SelectionError
        when bad)."""
        if where is None or (isinstance(where, str) and not where.strip()):
            return self.store.read_docs(None, columns)
        return self.store.read_docs_of(pa.array(self.select(where), pa.string()), columns)

    def count(self, where: str | None = None) -> int:
        """Documents where `where` holds (all when None or blank); SelectionError when bad."""
        if where is None or (isinstance(where, str) and not where.strip()):
            return self.store.count()
        return len(self.select(where))

    @property
    def labels(self) -> Labels:
        """Hand labels (append-only events); a label name may not be a docs column name."""
        return Labels(self.store)

    def select(self, where: str | None = None, ids: Sequence[str] | None = None) -> list[str]:
        """Ids of the selection: `where` over docs columns and current labels (an unlabelled
        document's label is ''), intersected with `ids` (a lasso) when given."""
        return select_ids(self, where, ids)

    def vector_index(self) -> VectorIndex:
        current = self.root / "faiss" / "current.json"
        if not current.exists():
            raise NotIndexedError(self.root, "FAISS index")
        if self._index is None or self._index.meta["build"] not in current.read_text():
            self._index = VectorIndex.load(self.root)
        return self._index

    def by_ids(self, ids: Sequence[str], columns: Sequence[str] | None = None) -> pa.Table:
        """The docs rows of `ids`, in that order (unknown ids left out); `id` always included."""
        wanted = list(columns or ("id", "text"))
        if "id" not in wanted:
            wanted.insert(0, "id")
        ids = list(ids)
        if not ids:
            return pa.schema([self.store.docs_schema().field(c) for c in wanted]).empty_table()
        found = self.store.read_docs(where=sql_in("id", ids), columns=wanted)
        order = {doc_id: i for i, doc_id in enumerate(found.column("id").to_pylist())}
        return found.take(pa.array([order[i] for i in ids if i in order], pa.int64()))

    def _rows(self, ids: list[str], scores: list[float], columns: Sequence[str] | None) -> pa.Table:
        """The docs rows for `ids`, in that order, with a `_score` column (underscored, as
        LanceDB's `_distance`/`_score`, so that it never collides with a source field).
        Asked for ids only, it reads nothing: the ids are the index's."""
        taken = pa.table({"id": pa.array(ids, pa.string())}) if list(columns or ()) == ["id"] \
            else self.by_ids(ids, columns)
        score_of = dict(zip(ids, scores))
        values = pa.array([score_of[i] for i in taken.column("id").to_pylist()], pa.float32())
        return taken.append_column(SCORE, values)

    def _allowed(self, where: str | None, ids: Sequence[str] | None) -> list[str] | None:
        """The ids a search may return: `where` (docs columns and labels) and `ids` both hold."""
        if not (where and where.strip()) and ids is None:  # a blank predicate restricts nothing
            return None
        return self.select(where, ids)

    def search(
        self, text: str, k: int = 10, where: str | None = None, columns: Sequence[str] | None = None,
        *, ids: Sequence[str] | None = None,
    ) -> pa.Table:
        """Documents closest in meaning to `text` (cosine similarity in `_score`), via FAISS,
        among those where `where` holds (labels included) and, when given, among `ids`."""
        index = self.vector_index()
        query = self.query_embedder().encode([text])
        allowed = self._allowed(where, ids)
        if allowed is not None:
            allowed = np.array([index.positions[i] for i in allowed if i in index.positions], dtype=np.int64)
        scores, positions = index.search(query, k, allowed)
        hits = [(index.ids[p], float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0]
        return self._rows([h[0] for h in hits], [h[1] for h in hits], columns)

    def neighbors(self, doc_id: str, k: int = 10, columns: Sequence[str] | None = None) -> pa.Table:
        """The k documents nearest to `doc_id` (itself excluded)."""
        index = self.vector_index()
        position = index.positions.get(doc_id)
        if position is None:
            raise KeyError(f"no document with id {doc_id!r} in the FAISS index")
        vector = index.index.reconstruct(position)
        scores, positions = index.search(vector, k + 1)
        hits = [(index.ids[p], float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0 and p != position]
        return self._rows([h[0] for h in hits[:k]], [h[1] for h in hits[:k]], columns)

    def more_like(self, examples: Sequence[str], k: int = 10, where: str | None = None,
                  columns: Sequence[str] | None = None, *, ids: Sequence[str] | None = None) -> pa.Table:
        """The k documents most like `examples` (ids): cosine to their centroid in `_score`, best
        first, the examples left out, among `where` and `ids` as `search` (curate/by_example.py)."""
        return self._rows(*by_example.more_like(self, examples, k, self._allowed(where, ids)), columns)

    def least_like(self, examples: Sequence[str], k: int = 10, where: str | None = None,
                   columns: Sequence[str] | None = None, *, ids: Sequence[str] | None = None,
                   among: str = "filter") -> pa.Table:
        """The k documents farthest from `examples`' centroid, lowest `_score` first, among `where`
        and `ids` (the examples left out), or with among="examples" the examples' own outliers."""
        return self._rows(*by_example.least_like(self, examples, k, self._allowed(where, ids), among), columns)

    def keyword_search(
        self, text: str, k: int = 10, where: str | None = None, columns: Sequence[str] | None = None,
        *, ids: Sequence[str] | None = None,
    ) -> pa.Table:
        """Documents matching the words of `text` (BM25 in `_score`), via LanceDB full-text
        search, among those where `where` holds (labels included) and among `ids`.

        The full-text index cannot see labels, so a restricted search asks it for more
        hits than `k` (then all of them) and keeps the allowed ones in BM25 order."""
        allowed = self._allowed(where, ids)
        total = self.count()
        limit = k if allowed is None else min(total, max(20 * k, 1000))
        while True:
            found = self.store.table("docs").search(text, query_type="fts").select(["id"]).limit(limit).to_arrow()
            hits = list(zip(found.column("id").to_pylist(), found.column("_score").to_pylist()))
            if allowed is not None:
                keep = set(allowed)
                hits = [h for h in hits if h[0] in keep]
            if len(hits) >= k or found.num_rows < limit or limit >= total:
                break
            limit = total
        hits = hits[:k]
        return self._rows([h[0] for h in hits], [h[1] for h in hits], columns)

    def label_scheme(self) -> dict[str, list[str]]:
        """The label names and values the app offers (WS/label_scheme.json, default
        quality: good, bad), plus every name and value already labelled."""
        return load_scheme(self.root, self.labels)

    def save_label_scheme(self, scheme: dict[str, list[str]]) -> None:
        save_scheme(self.root, scheme, self.labels)

    def explore(self, colour_by: str = "cluster", where: str | None = None, points: int = 100_000):
        """The map as a notebook widget (hover, box, lasso; `.selection`, `.label`): `app.notebook.explore`.
        Imported here, when a person asks, so the engine itself never loads plotly or widgets."""
        from app.notebook import explore

        return explore(self, colour_by=colour_by, where=where, points=points)

    def rename_cluster(self, number: int, name: str, *, topic: bool = False):
        """Name cluster `number` (topic=True: topic) by hand; a blank name removes the name.
        Kept with this clustering only (indexing.curate.cluster_names); returns all names."""
        from indexing.curate.cluster_names import rename

        return rename(self.root, self.store, "topic" if topic else "cluster", number, name)

    def cluster_names(self):
        """The hand-given names of the current clusters and topics (a `ClusterNames`)."""
        from indexing.curate.cluster_names import load_names

        return load_names(self.root, self.store)

    # ---- reporting --------------------------------------------------------

    def info(self) -> dict:
        """A stable, JSON-ready summary (`loupe info --json`); see the README for the fields."""
        return workspace_info(self)
