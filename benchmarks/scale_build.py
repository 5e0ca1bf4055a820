"""The 1M-document workspace of benchmarks/scale.py, built by Loupe's real `Workspace.index`.

The corpus is `scale_corpus`'s real paragraphs (real vectors of the real model), each repeated
`copies` times: copy 0 is the paragraph as it is, copy j > 0 is its text plus a marker
(`COPY_MARKER`, so every id and text is unique) with the vector normalise(v + NOISE * N(0, I)),
the noise row `paragraph` of a matrix drawn from a generator seeded by the copy number. A
Parquet source holds them (id, text, origin, copy_number) and goes through the real ingest
(validation, signals, token counts, LanceDB writes, compaction), text index, FAISS, projection
and clusters; only the model's forward pass is replaced, by `LookupEmbedder`, which gives each
text its vector from the cache (and refuses a text it does not know) and otherwise is the real
model (name, fingerprint, tokenizer, token counts). The app's query embedding later loads the
real model by name, so a search on this workspace embeds its query for real.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NOISE = 0.015  # per dimension: |noise| ~ 0.29 on 384 dims, a copy's cosine to its original ~0.96
COPY_MARKER = " [copy {copy} of paragraph {base}]"
_MARKER = re.compile(r" \[copy (\d+) of paragraph (\d+)\]$")
ROW_GROUP = 10_000


class Noise:
    """The noise of every copy: copy c's is row `base` of a (paragraphs, dim) standard normal
    matrix drawn from a generator seeded by c, drawn once per copy and kept for the next rows
    (the source is copy-major, so each copy's matrix is drawn once: ~154 MB held)."""

    def __init__(self, rows: int, dimension: int):
        self.rows, self.dimension, self.copy, self.matrix = rows, dimension, None, None

    def of(self, base: int, copy: int) -> np.ndarray:
        if copy != self.copy:
            self.matrix = np.random.default_rng(copy).standard_normal((self.rows, self.dimension), dtype=np.float32)
            self.copy = copy
        return self.matrix[base]


def copy_vector(base_vector: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """A copy's vector: the paragraph's own plus NOISE times `noise`, unit length."""
    noisy = base_vector + NOISE * noise
    return (noisy / np.linalg.norm(noisy)).astype(np.float32)


def write_source(path: Path, records: Sequence[dict], copies: int) -> int:
    """The Parquet source: every paragraph `copies` times, copy-major (copy 0 of all, then copy 1, ...),
    so any prefix of the file holds whole paragraphs first. Returns the row count."""
    if path.exists():
        return pq.ParquetFile(path).metadata.num_rows
    temporary = path.with_suffix(".tmp")
    schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("origin", pa.string()),
                        ("copy_number", pa.int32())])
    with pq.ParquetWriter(temporary, schema) as writer:
        for copy in range(copies):
            for start in range(0, len(records), ROW_GROUP):
                part = records[start : start + ROW_GROUP]
                bases = range(start, start + len(part))
                suffix = (lambda b: "") if copy == 0 else (lambda b: COPY_MARKER.format(copy=copy, base=b))
                writer.write_table(pa.table({
                    "id": [f"{r['id']}~{copy}" for r in part],
                    "text": [r["text"] + suffix(b) for r, b in zip(part, bases)],
                    "origin": [r["source"] for r in part],
                    "copy_number": pa.array([copy] * len(part), pa.int32()),
                }, schema=schema))
    temporary.rename(path)
    return len(records) * copies


class LookupEmbedder:
    """The real model for everything but its forward pass: a text's vector is looked up
    (a paragraph) or derived from the looked-up one (a marked copy). `seconds` counts the
    lookups' time, so the benchmark can say it is not embedding time."""

    def __init__(self, real, records: Sequence[dict], vectors: np.ndarray):
        self.real = real
        self.name, self.dimension, self.max_tokens = real.name, real.dimension, real.max_tokens
        self.device, self.fingerprint = real.device, real.fingerprint
        self.vectors = vectors
        self.position = {r["text"]: i for i, r in enumerate(records)}
        self.noise = Noise(len(records), real.dimension)
        self.seconds = 0.0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.real.count_tokens(texts)

    def vector(self, text: str) -> np.ndarray:
        found = _MARKER.search(text)
        if found is None:
            return self.vectors[self.position[text]]
        copy, base = int(found[1]), int(found[2])
        if self.position.get(text[: found.start()]) != base:
            raise KeyError(f"copy {copy} of paragraph {base} does not carry that paragraph's text")
        return copy_vector(np.asarray(self.vectors[base], np.float32), self.noise.of(base, copy))

    def encode(self, texts: Sequence[str], tokens=None, advance: Callable[[int], None] = lambda n: None) -> np.ndarray:
        started = time.perf_counter()
        out = np.stack([self.vector(t) for t in texts]).astype(np.float32) if texts else np.zeros(
            (0, self.dimension), np.float32)
        advance(len(texts))
        self.seconds += time.perf_counter() - started
        return out


class StageClock:
    """A progress Reporter that notes when each of the pipeline's progress stages starts and
    ends (read, embed, keywords, faiss, map, place, clusters), printing each as it ends and
    its count every `every` seconds while it runs."""

    def __init__(self, log=print, every: float = 120.0):
        self.spans: list[tuple[str, float, float]] = []
        self.log, self.every = log, every

    def stage(self, name: str, total: int | None = None, unit: str = "docs"):
        from contextlib import contextmanager

        @contextmanager
        def span():
            started = time.time()
            done, shown = [0], [started]

            def advance(n=1):
                done[0] += n
                if time.time() - shown[0] > self.every:
                    shown[0] = time.time()
                    self.log(f"  [{name}] {done[0]:,}/{total or 0:,} after {shown[0] - started:,.0f} s")

            try:
                yield advance
            finally:
                self.spans.append((name, started, time.time()))
                self.log(f"  [{name}] {time.time() - started:,.1f} s")

        return span()
