"""Every signal a new document gets, in one call: what `loupe index` and `loupe apply` compute
alike (so a recipe's filter reads the same columns on both)."""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa

from indexing.signals.basic import basic_signals
from indexing.signals.language import language_columns
from indexing.signals.rules import compute_rules


def document_signals(texts: Sequence[str]) -> dict[str, pa.Array]:
    """The basic measures, every rule suite's columns and the language, per text (not `tokens`,
    which needs the model's tokenizer)."""
    return {**basic_signals(texts), **compute_rules(texts), **language_columns(texts)}
