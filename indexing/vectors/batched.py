"""Running a model over batches with the host work overlapped with the device work.

Each batch goes through three steps: `prepare` (tokenise, pin memory: host work),
`forward` (the model: on a GPU only queued, it returns before the work is done) and
`fetch` (the vectors back to the host: waits for the device). `prepare` of the next
batches runs in a background thread (the Rust tokenizer and torch release the GIL), and
batch i is fetched only after batch i+1 is queued, so the device never waits for the
host between batches. With `overlap=False` the same three steps run one after the other:
the same arithmetic on the same batches, so the same vectors.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from indexing.ingest.prefetch import prefetch

AHEAD = 4  # batches prepared ahead of the model (a few: tokenising time varies with length)


def encode_batches(
    rows: int,
    dimension: int,
    batches: Iterable[Sequence[int]],
    prepare: Callable[[Sequence[int]], Any],
    forward: Callable[[Any], Any],
    fetch: Callable[[Any], np.ndarray],
    overlap: bool = True,
    advance: Callable[[int], None] = lambda n: None,
) -> np.ndarray:
    """(rows, dimension) float32: row i of batch b is fetch(forward(prepare(b)))[position of i in b]."""
    out = np.zeros((rows, dimension), dtype=np.float32)
    prepared = ((batch, prepare(batch)) for batch in batches)
    pending: tuple[Sequence[int], Any] | None = None
    for batch, features in prefetch(prepared, depth=AHEAD) if overlap else prepared:
        result = forward(features)
        if pending is not None:
            out[pending[0]] = fetch(pending[1])
            advance(len(pending[0]))
        pending = (batch, result)
    if pending is not None:
        out[pending[0]] = fetch(pending[1])
        advance(len(pending[0]))
    return out
