"""Basic signals: cheap per-document measures stored as columns.

A signal is a named pure function of the text. Token counts need the model's
tokenizer and are computed with the embedder, so they live in the ingest stage.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pyarrow as pa

BASIC: dict[str, Callable[[str], int]] = {
    "chars": len,
    "words": lambda text: len(text.split()),
    "lines": lambda text: text.count("\n") + 1 if text else 0,
}
TOKENS = "tokens"
SIGNAL_COLUMNS = (*BASIC, TOKENS)


def basic_signals(texts: Sequence[str]) -> dict[str, pa.Array]:
    return {name: pa.array([fn(t) for t in texts], pa.int64()) for name, fn in BASIC.items()}
