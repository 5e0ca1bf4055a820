"""Near duplicates: MinHash signatures of word 5-gram shingles, candidates from LSH.

As in the FineWeb and DataTrove pipelines, a document is the set of its word
5-grams (word n-grams, not character n-grams: an edit then touches at most n
shingles, so Jaccard similarity falls with the share of words changed). Words
are the `\\w+` runs of the NFKC-normalised, casefolded text, so case, spacing and
punctuation do not count. A text with fewer than `ngram` words is one shingle of
all its words; a text without any word (only symbols) has no shingles and is
never a near duplicate (exact dedup still compares it).

Signatures are datasketch MinHashes (`MinHash.generator`: one permutation set
shared by all documents, datasketch's `affine32` scheme, SHA-1 of each shingle).
Candidate pairs are those datasketch's `MinHashLSH` would give (its bands and rows,
chosen for the threshold), found by sorting each band with numpy; each candidate is then kept only if its estimated
Jaccard (the share of equal signature values) reaches the threshold, and groups
are the connected components of the kept pairs. Documents with identical
signatures (copies, above all) are collapsed before LSH, so a thousand copies of
one page cost one LSH entry instead of half a million candidate pairs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

import numpy as np

from indexing.progress import Quiet, Reporter
from indexing.curate.dedup.groups import component_labels, groups_from_labels

_WORD = re.compile(r"\w+")
VERIFY_CHUNK = 100_000  # candidate pairs compared per numpy step
SCHEME = "affine32"  # datasketch's permutation scheme (its default since 2.0), named so it never changes under us


def shingles(text: str, ngram: int = 5) -> list[bytes]:
    """The word `ngram`-grams of `text` (see the module docstring), UTF-8 encoded."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    if len(words) < ngram:
        return [" ".join(words).encode("utf-8")] if words else []
    return [" ".join(words[i:i + ngram]).encode("utf-8") for i in range(len(words) - ngram + 1)]


def check_parameters(threshold: float, num_perm: int, ngram: int) -> None:
    if not (isinstance(threshold, (int, float)) and 0.0 < threshold <= 1.0):
        raise ValueError(f"a MinHash threshold is a Jaccard similarity in (0, 1], not {threshold!r}")
    if isinstance(num_perm, bool) or not isinstance(num_perm, int) or num_perm < 16:
        raise ValueError(f"num_perm must be an integer of at least 16, not {num_perm!r}")
    if isinstance(ngram, bool) or not isinstance(ngram, int) or ngram < 1:
        raise ValueError(f"ngram must be a positive integer, not {ngram!r}")


def signatures(
    texts: Iterable[str], num_perm: int = 128, ngram: int = 5, seed: int = 1, progress: Reporter | None = None,
    total: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(MinHash values per text, (n, num_perm) uint32; whether the text has any shingle)."""
    from datasketch import MinHash

    progress = progress or Quiet()
    rows: list[np.ndarray] = []
    has_words: list[bool] = []

    def sets():
        for text in texts:
            found = shingles(text, ngram)
            has_words.append(bool(found))
            yield found

    with progress.stage("minhash", total) as advance:
        for i, minhash in enumerate(MinHash.generator(sets(), num_perm=num_perm, seed=seed, scheme=SCHEME), 1):
            rows.append(minhash.hashvalues)
            if i % 1000 == 0:
                advance(1000)
        advance(len(rows) % 1000)
    values = np.stack(rows) if rows else np.empty((0, num_perm), dtype=np.uint32)
    return values, np.array(has_words, dtype=bool)


def bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band): datasketch MinHashLSH's choice for the threshold (false positives
    and negatives weighed equally); near 1, where it would take one band, two."""
    from datasketch import MinHashLSH

    try:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    except ValueError:
        return 2, num_perm // 2
    return lsh.b, lsh.r


def candidate_pairs(values: np.ndarray, threshold: float, seed: int = 1, progress: Reporter | None = None) -> np.ndarray:
    """(m, 2) pairs of rows (i < j) that share a band: exactly the pairs datasketch's
    MinHashLSH (with `bands`) puts in a common bucket, found by sorting each band's
    values with numpy instead of a Python dict of buckets, so a million signatures cost
    arrays, not objects. `values` may be a memory-mapped array."""
    progress = progress or Quiet()
    n, num_perm = values.shape
    b, r = bands(threshold, num_perm)
    found: list[np.ndarray] = []
    with progress.stage("lsh", b, unit="bands") as advance:
        for band in range(b):
            _, inverse = np.unique(np.asarray(values[:, band * r:(band + 1) * r]), axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
            order = np.argsort(inverse, kind="stable")
            keys = inverse[order]
            starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            sizes = np.diff(np.r_[starts, n])
            for start, size in zip(starts[sizes >= 2].tolist(), sizes[sizes >= 2].tolist()):
                members = order[start:start + size]  # ascending: the sort was stable
                first, second = np.triu_indices(size, 1)
                found.append(np.stack([members[first], members[second]], axis=1))
            advance(1)
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(found).astype(np.int64), axis=0)


def similar_pairs(values: np.ndarray, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """The pairs whose estimated Jaccard (share of equal MinHash values) is >= threshold."""
    needed = threshold * values.shape[1] - 1e-9
    kept = []
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start:start + VERIFY_CHUNK]
        equal = np.count_nonzero(values[chunk[:, 0]] == values[chunk[:, 1]], axis=1)
        kept.append(chunk[equal >= needed])
    return np.concatenate(kept) if kept else np.empty((0, 2), dtype=np.int64)


def groups_from_signatures(values: np.ndarray, has_words: np.ndarray, threshold: float, seed: int,
                           progress: Reporter | None = None) -> np.ndarray:
    """Group ids from signatures: identical ones collapse, the rest go through LSH."""
    n = len(values)
    positions = np.flatnonzero(has_words)
    labels = np.arange(n, n + n, dtype=np.int64)  # a document without shingles stays alone
    if len(positions) == 0:
        return groups_from_labels(labels)
    distinct, first, inverse = np.unique(values[positions], axis=0, return_index=True, return_inverse=True)
    # LSH over the distinct signatures in document order, so results do not depend on sorting
    order = np.argsort(first, kind="stable")
    distinct = distinct[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    pairs = similar_pairs(distinct, candidate_pairs(distinct, threshold, seed, progress), threshold)
    components = component_labels(len(distinct), pairs)
    labels[positions] = components[rank[inverse.reshape(-1)]]
    return groups_from_labels(labels)


def minhash_groups(
    texts: Sequence[str], threshold: float = 0.8, num_perm: int = 128, ngram: int = 5, seed: int = 1,
    progress: Reporter | None = None,
) -> np.ndarray:
    """Group id per text (int64; the group's smallest position, -1 alone): connected
    components of the LSH candidate pairs whose estimated Jaccard similarity of word
    `ngram`-gram shingles is >= `threshold`."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    check_parameters(threshold, num_perm, ngram)
    values, has_words = signatures(texts, num_perm, ngram, seed, progress, total=len(texts))
    return groups_from_signatures(values, has_words, threshold, seed, progress)
