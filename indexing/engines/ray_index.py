"""`loupe index`'s pass (read, signals, tokens, embed, store) on Ray.

What runs where:
- the driver reads and validates the records in order, and makes each chunk's source-field
  columns: ids (duplicates against the workspace and everything earlier in the run, the
  local engine's `seen`, exactly), field names and column types depend on every chunk
  before, so they are decided in read order, and reading is cheap next to embedding;
- a Ray task per chunk computes its signals (`document_signals`);
- an actor pool (the model loaded once per actor, one GPU per actor when the cluster has
  GPUs) counts tokens and embeds;
- a Ray task per chunk writes the chunk's rows as a Lance fragment of `docs`;
- the driver commits the fragments (`LanceOperation.Append`) in chunk order, holding a
  finished chunk until the ones before it are committed, so "each source resumes after
  its highest stored `_ordinal`" holds after a kill, as with the local engine.

A chunk that changes the table's schema (the first, or one with a new field) is stored by
the driver itself once the chunks before it are committed: a fragment must be written in
the schema it is committed into.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
import pyarrow as pa

from indexing.engines.ray_session import TASK_CPUS, ray_session, window, worker_shape
from indexing.ingest.ingest import Ingest, _Chunk, stored_columns, to_batch
from indexing.ingest.prefetch import prefetch
from indexing.signals.basic import TOKENS
from indexing.signals.document import document_signals
from indexing.workspace.store import DOCS


def chunk_signals(texts: list[str]) -> tuple[dict[str, pa.Array], float]:
    started = time.perf_counter()
    return document_signals(texts), time.perf_counter() - started


class EmbedWorker:
    """A Ray actor's state: the model, loaded once."""

    def __init__(self, model: str, device: str, batch_size: int | None):
        from indexing.vectors.embedder import load_embedder

        self.embedder = load_embedder(model, device, batch_size)

    def embed(self, texts: list[str]) -> tuple[list[int], np.ndarray, float]:
        started = time.perf_counter()
        tokens = self.embedder.count_tokens(texts)
        return tokens, self.embedder.encode(texts, tokens), time.perf_counter() - started


def write_fragment(uri: str, schema: pa.Schema, key: str, ids, texts, ordinals, lines, columns,
                   signals, embedded) -> list:
    """The chunk's rows as fragments of the dataset at `uri`, not yet committed."""
    import lance

    (values, signal_s), (tokens, vectors, embed_s) = signals, embedded
    columns = {**columns, **values, TOKENS: pa.array(tokens, pa.int64())}
    batch = to_batch(stored_columns(key, ids, texts, ordinals, lines, columns, vectors), schema, len(ids))
    return lance.fragment.write_fragments(batch, uri, schema=schema, mode="append"), signal_s, embed_s


class RayIngest(Ingest):
    """Ingest with the per-chunk work on Ray; planning, validation and the record are Ingest's."""

    address: str | None = None
    device: str = "auto"
    batch_size: int | None = None
    num_cpus: int | None = None

    def _build(self, plan, rows, known, consumed, last: bool) -> _Chunk:
        chunk = self._frame(plan, rows, known, consumed, last)
        self._new_signals(self._signal_types, chunk.new_fields, known)
        return chunk

    def run(self, paths: list[str]) -> None:
        self._signal_types = {name: values.type for name, values in document_signals(["a"]).items()}
        with ray_session(self.address, self.num_cpus) as ray:
            count, resources = worker_shape(ray, self.device)
            actor = ray.remote(**resources)(EmbedWorker)
            self._actors = [actor.remote(self.embedder.name, self.device, self.batch_size) for _ in range(count)]
            self._signals = ray.remote(num_cpus=TASK_CPUS)(chunk_signals)
            self._write = ray.remote(num_cpus=0)(write_fragment)
            self._ray, self._window, self._turn = ray, window(count), 0
            self.report.notes.append(f"the pass over the records ran on Ray: {count} model actor(s), "
                                     f"{resources.get('num_gpus', 0)} GPU each")
            try:
                super().run(paths)
            finally:
                for handle in self._actors:
                    ray.kill(handle)

    def _loop(self, plans, read, embed) -> None:
        """Chunks dispatched as read, committed in order with at most a window in flight."""
        flight: deque = deque()
        for chunk in prefetch(self._chunks(plans, read)):
            direct = chunk.ids and (chunk.new_fields or self.store.docs_schema() is None)
            if direct:
                while flight:
                    self._commit(flight.popleft(), embed)
            flight.append((chunk, self._dispatch(chunk, direct)))
            while len(flight) > (0 if direct else self._window):
                self._commit(flight.popleft(), embed)
        while flight:
            self._commit(flight.popleft(), embed)

    def _dispatch(self, chunk: _Chunk, direct: bool):
        if not chunk.ids:
            return None
        signals = self._signals.remote(chunk.texts)
        embedded = self._actors[self._turn % len(self._actors)].embed.remote(chunk.texts)
        self._turn += 1
        if direct:
            return signals, embedded
        uri = str(self.store.path / f"{DOCS}.lance")
        return self._write.remote(uri, self.store.docs_schema(), chunk.plan.source.key, chunk.ids, chunk.texts,
                                  chunk.ordinals, chunk.lines, chunk.columns, signals, embedded)

    def _commit(self, item, advance) -> None:
        import lance

        chunk, pending = item
        if pending is not None:
            if isinstance(pending, tuple):  # the driver stores it: the schema changes with it
                (values, signal_s), (tokens, vectors, embed_s) = self._ray.get(list(pending))
                chunk.columns.update(values)
                chunk.tokens = tokens
                chunk.columns[TOKENS] = pa.array(tokens, pa.int64())
                self._store(chunk, advance, vectors)
            else:
                fragments, signal_s, embed_s = self._ray.get(pending)
                started = time.perf_counter()
                if chunk.fields_added:
                    self._record_fields(chunk.fields_added)
                uri = self.store.path / f"{DOCS}.lance"
                lance.LanceDataset.commit(str(uri), lance.LanceOperation.Append(fragments),
                                          read_version=lance.dataset(str(uri)).version)
                self.report.rows_stored += len(chunk.ids)
                self.report.timed("ingest", time.perf_counter() - started)
            self.report.timed("signals", signal_s)  # seconds of the workers, summed
            self.report.timed("embed", embed_s)
            advance(len(chunk.ids))
        if chunk.last:
            self._finish(chunk.plan)
