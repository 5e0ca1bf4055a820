"""Exact duplicates: documents whose normalised text is the same.

Normalisation removes what copying and re-encoding change without changing the
document: Unicode compatibility forms (NFKC: full-width letters, ligatures,
non-breaking spaces), letter case (`casefold`, which also folds "ß" to "ss"),
and whitespace (every run of spaces, tabs and newlines becomes one space; the
ends are stripped). Punctuation is kept on purpose: in code and in prose it
carries meaning (`a < b` and `a > b`, "It's done." and "Its done?"), and texts
that differ only in punctuation are near duplicates, which MinHash finds.
The normalised text is hashed with BLAKE2b (128 bits: collisions are not a
practical concern below 10^18 documents), so only 16 bytes per document are held.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable, Sequence

import numpy as np

from indexing.progress import Advance
from indexing.curate.dedup.groups import groups_from_labels

_SPACE = re.compile(r"\s+")
DIGEST_BYTES = 16


def normalise(text: str) -> str:
    """The text exact dedup compares: NFKC, casefolded, whitespace runs as one space, stripped."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def text_key(text: str) -> bytes:
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=DIGEST_BYTES).digest()


def exact_keys(texts: Iterable[str], advance: Advance = lambda n: None, every: int = 10_000) -> np.ndarray:
    """The 16-byte key of every text, as a numpy `S16` array."""
    keys = []
    for i, text in enumerate(texts, 1):
        keys.append(text_key(text))
        if i % every == 0:
            advance(every)
    advance(len(keys) % every)
    return np.array(keys, dtype=f"S{DIGEST_BYTES}")


def exact_groups(texts: Sequence[str]) -> np.ndarray:
    """Group id per text (int64): the smallest position among the texts with the same
    normalised text (see `normalise`), or -1 for a text with no duplicate."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    return groups_from_labels(exact_keys(texts))
