"""The ingest pass: sources -> validated rows -> signals -> vectors -> `docs`.

Ingest, signals and embedding run as one streaming pass, one LanceDB commit per
batch, so a stored row is always complete (text, signals and vector). That is what
makes a kill -9 harmless: on the next run each source resumes after the highest
ordinal it has stored, and nothing is ever updated in place. What a run is asked and
what it reports are in `report.py`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import SourceError
from indexing.ingest.columns import SIGNALS, FieldNames, align, field_columns, overflow_text, seed_fields
from indexing.vectors.embedder import Embedder
from indexing.workspace.owned_columns import OVERFLOW_COLUMN
from indexing.ingest.prefetch import prefetch
from indexing.progress import Quiet, Reporter
from indexing.ingest.records import Record, Rejection
from indexing.ingest.validate import validate
from indexing.signals.basic import TOKENS
from indexing.signals.document import document_signals
from indexing.signals.domain import domain_columns
from indexing.ingest.sources import Source, open_source
from indexing.workspace.sql import sql_equals
from indexing.workspace.manifest import SourceState, WorkspaceState
from indexing.workspace.store import Store
from indexing.ingest.report import ON_ERROR, IndexReport, IngestError, IngestOptions, RejectionLog  # noqa: F401 (importable from here too)


@dataclass
class _Plan:
    """One source of this run: where to resume and which ordinals to take."""

    source: Source
    state: SourceState
    start: int
    total: int
    take: int | frozenset[int] | None = None  # None: all; int: ordinals below; set: these

    def wanted(self, ordinal: int) -> bool:
        if self.take is None:
            return True
        if isinstance(self.take, int):
            return ordinal < self.take
        return ordinal in self.take

    def selected(self) -> int:
        if self.take is None:
            return self.total
        if isinstance(self.take, int):
            return min(self.take, self.total)
        return len(self.take)

    def remaining(self) -> int:
        if isinstance(self.take, frozenset):
            return sum(1 for o in self.take if o >= self.start)
        return max(0, self.selected() - self.start)


@dataclass
class _Chunk:
    plan: _Plan
    ids: list[str]
    texts: list[str]
    ordinals: list[int]
    lines: list[int]
    columns: dict[str, pa.Array]
    new_fields: list[pa.Field]
    tokens: list[int]
    last: bool
    fields_added: list[tuple[str, str]] = field(default_factory=list)  # (source field, column)


def takes(totals: list[int], limit: int | None, sample: int | None, seed: int) -> list[int | frozenset[int] | None]:
    """Which records of each source a run takes: all (None), the first N (an int: --limit,
    counted over the sources in order) or a random set of ordinals (--sample, fixed by seed)."""
    if limit is not None:
        out, left = [], limit
        for total in totals:
            out.append(min(left, total))
            left -= out[-1]
        return out
    if sample is not None:
        chosen = np.random.default_rng(seed).choice(sum(totals), size=min(sample, sum(totals)), replace=False)
        offsets = np.cumsum([0, *totals])
        return [frozenset(int(o) for o in chosen[(chosen >= offsets[i]) & (chosen < offsets[i + 1])] - offsets[i])
                for i in range(len(totals))]
    return [None] * len(totals)


def id_prefix(path: str) -> str:
    """Ids from file and line are `<path as given>:<line>`, fixed at first ingest."""
    return Path(path).as_posix().rstrip("/")


class Ingest:
    """One run of the ingest pass over some sources into one workspace."""

    def __init__(
        self,
        root: Path,
        state: WorkspaceState,
        store: Store,
        embedder: Embedder,
        options: IngestOptions,
        report: IndexReport,
        progress: Reporter | None = None,
    ):
        self.root, self.state, self.store = root, state, store
        self.embedder, self.options, self.report = embedder, options, report
        self.progress = progress or Quiet()
        self.reject = RejectionLog(root, report, options.on_error)

    # ---- planning (main thread) --------------------------------------------

    def plan(self, paths: list[str]) -> list[_Plan]:
        plans: list[_Plan] = []
        for path in paths:
            try:
                source = open_source(path, self.options.text_field)
            except SourceError as error:
                self.reject(Rejection(str(path), 0, "unreadable source", error.reason))
                continue
            fingerprint = source.fingerprint()
            known = self.state.sources.get(source.key)
            if known and known.complete and known.fingerprint == fingerprint:
                self.report.notes.append(f"{path}: already indexed, unchanged")
                continue
            if known is None:
                known = SourceState(source.path, source.kind, id_prefix(source.path), fingerprint)
                self.state.sources[source.key] = known
            elif known.fingerprint != fingerprint:
                self.report.notes.append(f"{path}: changed since it was indexed; reading new records")
                known.fingerprint, known.complete = fingerprint, False
            total = source.count()
            plans.append(_Plan(source, known, self._resume_point(source.key), total))
            if total == 0:
                self.reject(Rejection(str(path), 0, "empty source", "no records"))
        self.state.save(self.root)
        self._select(plans)
        return plans

    def _resume_point(self, key: str) -> int:
        stored = self.store.read_docs(where=sql_equals("_source", key), columns=["_ordinal"])
        if stored.num_rows == 0:
            return 0
        return int(pc.max(stored.column("_ordinal")).as_py()) + 1

    def _select(self, plans: list[_Plan]) -> None:
        """Apply --limit / --sample over the sources of this run, deterministically."""
        for plan, take in zip(plans, takes([p.total for p in plans], self.options.limit, self.options.sample,
                                           self.options.seed)):
            plan.take = take

    # ---- producing chunks (prefetch thread) ---------------------------------

    def _validate(self, record: Record, plan: _Plan, seen: dict[str, str]) -> tuple[str, str] | None:
        """(id, text) for a good record; a bad one is rejected and gives None."""
        opts = self.options
        good = validate(record, text_field=opts.text_field, id_field=opts.id_field, max_chars=opts.max_chars,
                        source_path=plan.source.path, path_ids=plan.source.path_ids, id_prefix=plan.state.id_prefix,
                        seen=seen)
        if isinstance(good, Rejection):
            self.reject(good)
            return None
        return good

    def _chunks(self, plans: list[_Plan], advance) -> Iterator[_Chunk]:
        known = {f.name: f.type for f in (self.store.docs_schema() or [])}
        ids = self.store.read_docs(columns=["id"]).column("id").to_pylist() if known else []
        self._stored_before, self._noted = len(ids), False
        seen = dict.fromkeys(ids, "in the workspace")
        consumed = {self.options.text_field, self.options.id_field}
        for plan in plans:
            rows: list[tuple[str, str, Record]] = []
            started = time.perf_counter()
            for record in plan.source.records(plan.start):
                if isinstance(plan.take, int) and record.ordinal >= plan.take:
                    break
                if not plan.wanted(record.ordinal):
                    continue
                self.report.rows_read += 1
                advance(1)
                good = self._validate(record, plan, seen)
                if good:
                    rows.append((*good, record))
                if len(rows) >= self.options.chunk_size:
                    self.report.timed("ingest", time.perf_counter() - started)
                    yield self._build(plan, rows, known, consumed, last=False)
                    rows, started = [], time.perf_counter()
            self.report.timed("ingest", time.perf_counter() - started)
            yield self._build(plan, rows, known, consumed, last=True)

    def _build(self, plan, rows, known, consumed, last: bool) -> _Chunk:
        started = time.perf_counter()
        chunk = self._frame(plan, rows, known, consumed, last)
        signals = document_signals(chunk.texts)
        self._new_signals({name: values.type for name, values in signals.items()}, chunk.new_fields, known)
        chunk.columns.update(signals)
        chunk.tokens = self.embedder.count_tokens(chunk.texts) if chunk.texts else []
        chunk.columns[TOKENS] = pa.array(chunk.tokens, pa.int64())
        self.report.timed("signals", time.perf_counter() - started)
        return chunk

    def _frame(self, plan, rows, known, consumed, last: bool) -> _Chunk:
        """The chunk's ids, texts and source-field columns: what depends on the chunks before
        (field names, column types), so it is made in read order by every engine."""
        texts = [text for _, text, _ in rows]
        fields = []
        for _, _, record in rows:
            stored, extra = self.names.split(record.fields, consumed)
            if extra:
                stored[OVERFLOW_COLUMN] = overflow_text(extra)
                self.report.warnings[
                    f"fields beyond max_fields {self.options.max_fields:,} kept as JSON in column '{OVERFLOW_COLUMN}'"
                ] += 1
            fields.append(stored)
        columns, new_fields = field_columns(fields, known, self.report.warnings)
        known.update({f.name: f.type for f in new_fields})
        for name, values in domain_columns(columns, self.names.fields.values()).items():  # from `url`
            if name not in known:
                new_fields.append(pa.field(name, values.type))
                known[name] = values.type
            columns[name] = values
        return _Chunk(
            plan,
            [doc_id for doc_id, _, _ in rows],
            texts,
            [r.ordinal for _, _, r in rows],
            [r.line for _, _, r in rows],
            columns,
            new_fields,
            [],
            last,
            self.names.take_added(),
        )

    def _new_signals(self, types: dict[str, pa.DataType], new_fields: list[pa.Field], known) -> None:
        """Signal columns a table from before these signals lacks: added with this chunk."""
        for name, type_ in types.items():
            if name not in known:
                new_fields.append(pa.field(name, type_))
                known[name] = type_
                if self._stored_before and name in SIGNALS and not self._noted:
                    self._noted = True
                    self.report.notes.append(
                        f"rule and language columns are new to this workspace: the {self._stored_before:,} rows "
                        "stored before have none yet; `loupe signals -w WORKSPACE` computes them"
                    )

    # ---- embedding and writing (main thread) --------------------------------

    def run(self, paths: list[str]) -> None:
        schema = self.store.docs_schema()
        if schema is not None and not self.state.fields:  # a workspace from before the record
            self.state.fields.update(seed_fields(schema.names))
        # The prefetch thread assigns columns on its own copy; _store records them.
        self.names = FieldNames(dict(self.state.fields), schema.names if schema else (), self.options.max_fields)
        plans = self.plan(paths)
        total = sum(p.remaining() for p in plans)
        try:
            with self.progress.stage("read", total) as read, self.progress.stage("embed", total) as embed:
                self._loop(plans, read, embed)
            if self.names.overflowed:
                self.report.notes.append(
                    f"{len(self.names.overflowed):,} field(s) beyond max_fields {self.options.max_fields:,} are kept "
                    f"as one JSON object per row in column '{OVERFLOW_COLUMN}'; a larger --max-fields gives "
                    "new fields columns of their own"
                )
        finally:
            self.reject.close()

    def _loop(self, plans: list[_Plan], read, embed) -> None:
        """Each chunk stored, each source finished, in read order (the engine's part)."""
        for chunk in prefetch(self._chunks(plans, read)):
            if chunk.ids:
                self._store(chunk, embed)
            if chunk.last:
                self._finish(chunk.plan)

    def _record_fields(self, added: list[tuple[str, str]]) -> None:
        """Record new field -> column pairs in workspace.json before any row uses them."""
        self.state.fields.update(added)
        self.state.save(self.root)
        self.report.notes.extend(
            f"field {name!r} stored as column {column!r}" for name, column in added if name != column
        )

    def _store(self, chunk: _Chunk, advance, vectors: np.ndarray | None = None) -> None:
        if chunk.fields_added:
            self._record_fields(chunk.fields_added)
        if vectors is None:
            started = time.perf_counter()
            vectors = self.embedder.encode(chunk.texts, chunk.tokens, advance)
            self.report.timed("embed", time.perf_counter() - started)
        started = time.perf_counter()
        columns = stored_columns(chunk.plan.source.key, chunk.ids, chunk.texts, chunk.ordinals, chunk.lines,
                                 chunk.columns, vectors)
        schema = self.store.docs_schema()
        if schema is not None and chunk.new_fields:
            self.store.add_columns(chunk.new_fields)
            schema = self.store.docs_schema()
        self.store.append_docs(to_batch(columns, schema, len(chunk.ids)))
        self.report.rows_stored += len(chunk.ids)
        self.report.timed("ingest", time.perf_counter() - started)

    def _finish(self, plan: _Plan) -> None:
        plan.state.complete = True
        plan.state.records = plan.total
        plan.state.stored = self.store.count(sql_equals("_source", plan.source.key))
        plan.state.rejected = max(0, plan.selected() - plan.state.stored)
        self.state.save(self.root)


def stored_columns(source_key: str, ids: list[str], texts: list[str], ordinals: list[int], lines: list[int],
                   columns: dict[str, pa.Array], vectors: np.ndarray) -> dict[str, Any]:
    """A chunk's row of `docs` columns, in the order a new table takes them (every engine)."""
    n = len(ids)
    return {
        "id": pa.array(ids, pa.string()),
        "text": pa.array(texts, pa.string()),
        "_source": pa.array([source_key] * n, pa.string()),
        "_ordinal": pa.array(ordinals, pa.int64()),
        "_line": pa.array(lines, pa.int64()),
        **columns,
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), vectors.shape[1]),
    }


def to_batch(columns: dict[str, Any], schema: pa.Schema | None, rows: int) -> pa.Table:
    """The columns as a table: a new table's own order, else aligned to the stored schema."""
    return pa.table(columns) if schema is None else align(columns, schema, rows)
