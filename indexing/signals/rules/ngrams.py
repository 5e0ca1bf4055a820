"""Repeated word n-grams, for a whole batch of documents at once (Gopher's repetition rules).

Gopher (Rae et al. 2021, Appendix A.1.1, Table A1) measures repetition inside a document
as the fraction of its characters that lie in

* the most frequent n-gram, for n = 2, 3, 4 ("top n-gram character fraction"), and
* all duplicated n-grams, for n = 5 ... 10, "taking care not to count characters that
  occur in overlapping n-grams more than once".

Here an n-gram's characters are its words' characters (spaces not counted), every
occurrence of a repeated n-gram counts (the first one too), and a word counts once however
many repeated n-grams cover it, so each fraction lies in [0, 1]: the characters of the
covered words over the characters of all words (as RedPajama-V2's
`rps_doc_frac_chars_top_ngram` / `rps_doc_frac_chars_dupe_ngrams` define them). An n-gram
that occurs once is not repetition: a document with no repeated n-gram scores 0.

Counting n-grams per document in Python costs about half a millisecond per 2 KB document
for the nine values of n. Instead every word of the batch becomes a 64-bit hash (mixed
with its document's number, so equal n-grams of different documents differ), an n-gram's
hash is a polynomial of its words' hashes, and each n is a few numpy and Arrow passes over
the whole batch. Two different n-grams share a hash with probability about 2**-64.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it is a bijection mod 2**64
_DOC_MIX = np.uint64(0xD6E8FEB86659FD93)


class WordBatch:
    """The words of a batch of documents as flat arrays: hash, length, document."""

    def __init__(self, words_per_doc: list[list[str]]):
        counts = np.fromiter(map(len, words_per_doc), dtype=np.int64, count=len(words_per_doc))
        flat = [w for doc in words_per_doc for w in doc]
        self.docs = len(words_per_doc)
        self.doc = np.repeat(np.arange(self.docs, dtype=np.int64), counts)
        self.lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        hashes = np.fromiter(map(hash, flat), dtype=np.int64, count=len(flat)).view(np.uint64)
        self.hashes = hashes ^ (self.doc.astype(np.uint64) * _DOC_MIX)
        # chars of all words per document, and prefix sums for the chars of any window
        self.total_chars = np.bincount(self.doc, weights=self.lengths, minlength=self.docs)
        self._prefix = np.concatenate([[0], np.cumsum(self.lengths)])

    def fractions(self, top: tuple[int, ...], dup: tuple[int, ...]) -> dict[int, np.ndarray]:
        """n -> per-document fraction (NaN for a document without words).

        An n-gram can repeat only where the two (n-1)-grams inside it both repeat, so
        each n counts only those candidate positions: all positions for n = 2, then
        a shrinking few (all occurrences of a repeated n-gram are candidates, so its
        count among them is its true count)."""
        out: dict[int, np.ndarray] = {}
        if not top and not dup:
            return out
        total = len(self.hashes)
        starts = np.arange(total, dtype=np.int64)  # candidate start positions
        for n in range(2, max((*top, *dup)) + 1):
            # keep the starts whose n words lie inside one document
            starts = starts[starts + n - 1 < total]
            starts = starts[self.doc[starts] == self.doc[starts + n - 1]]
            grams = self._extend(n, starts)
            ids, counts = self._encode(grams)
            count = counts[ids]
            if n in top:
                out[n] = self._fraction(self._top_starts(starts, ids, count, n), n)
            repeated = starts[count >= 2]
            if n in dup:
                out[n] = self._fraction(repeated, n)
            # candidates for n + 1: both its n-grams (at i and i + 1) repeat
            flag = np.zeros(total + 1, dtype=bool)
            flag[repeated] = True
            starts = repeated[flag[repeated + 1]]
        return out

    # ---- per n -------------------------------------------------------------

    def _extend(self, n: int, starts: np.ndarray) -> np.ndarray:
        """Polynomial hash of the n words from each start (wraps mod 2**64, as meant)."""
        grams = self.hashes[starts].copy()
        for k in range(1, n):
            grams *= _POLY
            grams += self.hashes[starts + k]
        return grams

    @staticmethod
    def _encode(grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(an id per n-gram, numbering distinct n-grams in order of first appearance,
        and each id's count)."""
        if grams.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        encoded = pc.dictionary_encode(pa.array(grams))
        ids = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return ids, np.bincount(ids)

    def _top_starts(self, starts: np.ndarray, ids: np.ndarray, count: np.ndarray, n: int) -> np.ndarray:
        """Starts of every occurrence of each document's most frequent n-gram (ties: the
        one with more characters, then the one that appears first), if it repeats."""
        keep = count >= 2
        starts, ids, count = starts[keep], ids[keep], count[keep]
        if starts.size == 0:
            return starts
        size = self._prefix[starts + n] - self._prefix[starts]
        doc = self.doc[starts]
        # one int64 per occurrence ordering (count, characters); both are at most a
        # document's length, so the product stays far below 2**63
        score = count * (int(size.max()) + 1) + size
        best = np.full(self.docs, -1, dtype=np.int64)
        np.maximum.at(best, doc, score)
        first = np.full(self.docs, np.iinfo(np.int64).max, dtype=np.int64)
        winners = score == best[doc]
        np.minimum.at(first, doc[winners], ids[winners])
        return starts[ids == first[doc]]

    def _fraction(self, starts: np.ndarray, n: int) -> np.ndarray:
        """Share of each document's word characters covered by n-grams starting at `starts`
        (all inside one document), each word counted once."""
        size = len(self.lengths) + 1
        marks = np.bincount(starts, minlength=size) - np.bincount(starts + n, minlength=size)
        covered = np.cumsum(marks[:-1]) > 0
        chars = np.bincount(self.doc, weights=self.lengths * covered, minlength=self.docs)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.total_chars > 0, chars / np.maximum(self.total_chars, 1), np.nan)
