"""Planted duplicates: copies of real documents, made on purpose, whose pairs are known.

No real corpus on this machine comes with a list of its duplicates, so the benchmark plants
them into one (the manual pages of `benchmarks/manpages.py`) and says so. Each copy is a new
document `planted-<kind>-<nnn>` of a different source document, of one of three kinds:

- `exact`: the same text after exact dedup's normalisation, with its case and whitespace
  changed (lower-cased, paragraphs joined by one newline, two spaces after each sentence,
  trailing spaces);
- `near`: 2 to 5 word edits (a word replaced by a word from elsewhere in the corpus,
  deleted, or a corpus word inserted), at random positions;
- `reordered`: the sentences shuffled into another order and the last 10-30% of them
  dropped (at least one; sources with at least 4 sentences only).

`plant(records, per_kind, seed)` returns the copies and the known pairs (source id, copy id)
by kind; the same arguments give the same copies.
"""

from __future__ import annotations

import random
import re
from typing import Sequence

KINDS = ("exact", "near", "reordered")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_WORD = re.compile(r"\S+")


def exact_copy(text: str) -> str:
    text = text.lower().replace("\n\n", "\n")
    return re.sub(r"([.!?]) ", r"\1  ", text) + "  \n"


def near_copy(text: str, rng: random.Random, vocabulary: Sequence[str]) -> tuple[str, int]:
    words = text.split(" ")
    edits = rng.randint(2, 5)
    for _ in range(edits):
        position = rng.randrange(len(words))
        action = rng.choice(("replace", "delete", "insert"))
        if action == "replace":
            words[position] = rng.choice(vocabulary)
        elif action == "delete" and len(words) > 10:
            del words[position]
        else:
            words.insert(position, rng.choice(vocabulary))
    return " ".join(words), edits


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.replace("\n\n", " ")) if s.strip()]


def reordered_copy(text: str, rng: random.Random) -> str | None:
    parts = sentences(text)
    if len(parts) < 4:
        return None
    keep = max(1, min(len(parts) - 1, round(len(parts) * rng.uniform(0.7, 0.9))))
    order = list(range(len(parts)))
    while order == sorted(order):
        rng.shuffle(order)
    return " ".join(parts[i] for i in order[:keep])


def plant(records: Sequence[dict], per_kind: int, seed: int = 0) -> tuple[list[dict], dict[str, list[tuple[str, str]]]]:
    """`per_kind` copies of each kind, each of its own source record (by "id" and "text")."""
    rng = random.Random(seed)
    vocabulary = sorted({w for r in records for w in _WORD.findall(r["text"]) if w.isalpha() and len(w) > 3})
    sources = list(records)
    rng.shuffle(sources)
    copies: list[dict] = []
    pairs: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    queue = iter(sources)
    for kind in KINDS:
        while len(pairs[kind]) < per_kind:
            source = next(queue, None)
            if source is None:
                raise ValueError(f"not enough documents to plant {per_kind} {kind} copies")
            edits = None
            if kind == "exact":
                text = exact_copy(source["text"])
            elif kind == "near":
                text, edits = near_copy(source["text"], rng, vocabulary)
            else:
                text = reordered_copy(source["text"], rng)
                if text is None:
                    continue
            copy_id = f"planted-{kind}-{len(pairs[kind]):03d}"
            copies.append({"id": copy_id, "text": text, "planted_kind": kind, "planted_from": source["id"],
                           "planted_edits": edits})
            pairs[kind].append((source["id"], copy_id))
    return copies, pairs
