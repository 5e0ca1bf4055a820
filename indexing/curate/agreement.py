"""More than one annotator: labels per author, agreement between them, disagreements to settle.

Everything here reads `Labels.by_author`: each annotator's own current label per
(document, name), so a settlement (`Labels.settle`) never changes the agreement
measured (as in Argilla, where responses stay as given and the final label is apart).

- `author_counts`: name -> author -> value -> documents.
- `agreement`: for each label name and each pair of authors, the documents both
  labelled, the share where they agree, and Cohen's kappa (agreement beyond what the
  two authors' own value frequencies give by chance: 1 perfect, 0 chance, below 0 worse).
- `disagreements`: documents whose authors' labels differ under a name and that no
  settlement decided since (a settlement is the document's latest event); an author
  who labels again after a settlement reopens it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Agreement:
    """Two authors on one label name."""

    name: str
    authors: tuple[str, str]
    documents: int  # labelled by both
    agreed: int  # of those, with the same value
    kappa: float | None  # None: undefined (both gave one and the same value to every document)


@dataclass(frozen=True)
class Disagreement:
    """A document whose annotators differ under `name`."""

    doc_id: str
    name: str
    votes: dict[str, str]  # author -> value
    current: str | None  # the document's label now (its latest event), or None when cleared


def author_counts(labels, name: str | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """name -> author -> value -> number of documents that author gave that value (most first)."""
    table = labels.by_author(name)
    if table.num_rows == 0:
        return {}
    grouped = table.group_by(["name", "author", "value"]).aggregate([("doc_id", "count")])
    rows = sorted(zip(grouped["name"].to_pylist(), grouped["author"].to_pylist(), grouped["value"].to_pylist(),
                      grouped["doc_id_count"].to_pylist()), key=lambda r: (r[0], r[1], -r[3], r[2]))
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for label, author, value, count in rows:
        counts.setdefault(label, {}).setdefault(author, {})[value] = count
    return counts


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two authors' values on the same documents (scikit-learn's), or
    None where it is undefined (no documents, or chance agreement is already 1)."""
    if not first:
        return None
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # undefined cases come back as nan, turned into None
        kappa = float(cohen_kappa_score(first, second))
    return None if np.isnan(kappa) else kappa


def _votes(table: pa.Table) -> dict[str, dict[str, str]]:
    """doc_id -> author -> value, for one label name."""
    votes: dict[str, dict[str, str]] = {}
    for doc_id, author, value in zip(table["doc_id"].to_pylist(), table["author"].to_pylist(),
                                     table["value"].to_pylist()):
        votes.setdefault(doc_id, {})[author] = value
    return votes


def agreement(labels, name: str | None = None) -> list[Agreement]:
    """Every pair of authors who both labelled a document under a name (all names, or `name`)."""
    table = labels.by_author(name)
    found = []
    for label in sorted(set(table["name"].to_pylist())):
        votes = _votes(table.filter(pc.equal(table["name"], label)))
        authors = sorted({a for by in votes.values() for a in by})
        for a, b in combinations(authors, 2):
            both = [(by[a], by[b]) for by in votes.values() if a in by and b in by]
            if not both:
                continue
            first, second = [v for v, _ in both], [v for _, v in both]
            found.append(Agreement(label, (a, b), len(both), sum(x == y for x, y in both),
                                   cohen_kappa(first, second)))
    return found


def disagreements(labels, name: str | None = None) -> list[Disagreement]:
    """Documents whose authors' labels differ under a name, not settled since; oldest first."""
    table = labels.by_author(name)
    if table.num_rows == 0:
        return []
    latest = labels.latest(name)
    last = {(d, n): (v, bool(s)) for d, n, v, s in zip(latest["doc_id"].to_pylist(), latest["name"].to_pylist(),
                                                        latest["value"].to_pylist(), latest["settles"].to_pylist())}
    found = []
    for label in sorted(set(table["name"].to_pylist())):
        one = table.filter(pc.equal(table["name"], label))
        for doc_id, votes in _votes(one).items():
            current, settled = last.get((doc_id, label), (None, False))
            if len(set(votes.values())) > 1 and not settled:
                found.append(Disagreement(doc_id, label, dict(sorted(votes.items())), current))
    return found
