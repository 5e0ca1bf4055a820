"""Cluster and topic names drawn on the map at their centres, kept legible.

A name is a plotly annotation at the centre (the mean map position of the members) on a
half-opaque white box, so it reads over any colour of points. A map of 150 clusters
cannot hold 150 names: coloured by cluster it names the clusters a curator named by hand,
then the largest, MAX_LABELS in all; coloured by topic (about sqrt(k) of them) it names
every topic. Only clusters with points drawn (the filter keeps some) are named. Names and
keywords are data: HTML-escaped, as plotly renders tags in annotation text.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np

MAX_LABELS = 12
LABEL_CHARS = 40  # a longer name is cut, with an ellipsis, on the map (in full in the list)


def short(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def groups_present(drawn: np.ndarray) -> np.ndarray:
    """The group numbers (>= 0) among `drawn`, ascending: a count per number, not a sort,
    because a map rerun at a million points pays it (5 ms against np.unique's 28)."""
    drawn = np.asarray(drawn)
    drawn = drawn[drawn >= 0]
    return np.flatnonzero(np.bincount(drawn)) if len(drawn) else np.empty(0, np.int64)


def name_labels(numbers: Sequence[int], texts: Sequence[str], xs: Sequence, ys: Sequence, sizes: Sequence[int],
                named: Sequence[bool], drawn: np.ndarray, limit: int | None = MAX_LABELS) -> list[dict]:
    """Annotations for the groups (clusters or topics) `numbers` with points in `drawn` (the
    group number of each drawn point): hand-named ones first, then the largest, at most
    `limit` (None: all)."""
    present = set(groups_present(drawn).tolist())
    candidates = [i for i, n in enumerate(numbers)
                  if n in present and xs[i] is not None and ys[i] is not None and texts[i]]
    candidates.sort(key=lambda i: (not named[i], -int(sizes[i]), numbers[i]))
    chosen = candidates if limit is None else candidates[:limit]
    return [{"x": float(xs[i]), "y": float(ys[i]), "text": html.escape(short(texts[i])), "showarrow": False,
             "font": {"size": 13 if named[i] else 12, "color": "#111"}, "bgcolor": "rgba(255,255,255,0.75)",
             "borderpad": 2, "name": f"label {numbers[i]}"} for i in chosen]


def hover_names(texts: Sequence[str]) -> np.ndarray:
    """Per group number, what the hover says after "cluster": "3 · tax law" (escaped)."""
    return np.array([f"{n} · {html.escape(short(t))}" if t else str(n) for n, t in enumerate(texts)], dtype=object)
