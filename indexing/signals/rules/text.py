"""What the rule suites share: what a word and a line are, duplicate counting, ratios.

One definition each, so that `gopher_word_count` and the words behind Gopher's n-grams
are the same words, and a CRLF document scores exactly like its LF twin.

* A **line** is an item of `str.splitlines()`: `\\n`, `\\r\\n`, `\\r` and the other
  Unicode line breaks all end one, and a final line break does not add an empty line.
* A **word** is a whitespace-separated token with its leading and trailing punctuation
  and symbols removed (`"(e.g.,"` -> `"e.g"`, `"#tag"` -> `"tag"`); a token of
  punctuation or symbols alone (`-`, `#`, `...`, `•`, an emoji) is no word. This is the
  word of Gopher's rules, whose paper counts words but not stray symbols (datatrove
  drops "symbol-only" tokens the same way).
* **Characters** of a text or line do not count line breaks (FineWeb's
  `len(text.replace("\\n", ""))`), so line endings never change a fraction.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa

# A token from its first to its last letter or digit: `\S*` cannot cross whitespace, so
# each whitespace token gives at most one match.
WORD = re.compile(r"[^\W_](?:\S*[^\W_])?")
# A whitespace token holding a letter (`[^\W\d_]`: a word character that is neither a
# digit nor `_`); the look-behind makes each token match at most once.
LETTER_TOKEN = re.compile(r"(?<!\S)\S*?[^\W\d_]")


def words(text: str) -> list[str]:
    return WORD.findall(text)


def chars(lines: Sequence[str]) -> int:
    """Characters of a text whose `splitlines()` gave `lines` (line breaks not counted)."""
    return sum(map(len, lines))


def duplicates(items: Iterable[str]) -> tuple[int, int]:
    """(how many items repeat an earlier one, their characters): what deduplicating the
    items would remove. Gopher's and FineWeb's duplicate line/paragraph measures
    (datatrove `find_duplicates`): the first occurrence is kept, only repeats count."""
    seen: set[str] = set()
    count = size = 0
    for item in items:
        if item in seen:
            count += 1
            size += len(item)
        else:
            seen.add(item)
    return count, size


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or NaN (stored as null) when there is nothing to divide by."""
    return numerator / denominator if denominator else float("nan")


def float_column(values: Sequence[float] | np.ndarray) -> pa.Array:
    """float64 with NaN stored as null: a measure that does not apply to a document
    (a fraction of zero lines) is missing, and a rule's bound then removes it."""
    return pa.array(np.asarray(values, dtype=np.float64), type=pa.float64(), from_pandas=True)


def int_column(values: Sequence[int] | np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64())
