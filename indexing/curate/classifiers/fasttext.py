"""Hand labels as a fastText training file, to train a production filter on them.

One line per labelled document, `__label__<value> <text>`, the text flattened to one
line (every run of whitespace, newlines and tabs included, becomes one space) and the
value with its whitespace turned into `_` (fastText splits labels on whitespace).
Lines come in a seeded random order: fastText's SGD reads the file in order, and a file
with all of one class first trains badly. Train with e.g.
`fasttext supervised -input quality.txt -output quality`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import ClassifierError
from indexing.workspace.atomic import atomic_writer
from indexing.workspace.sql import sql_in

LABEL_PREFIX = "__label__"
READ_IDS = 2_000  # ids per docs read (one `id IN (...)` predicate)


def fasttext_line(value: str, text: str) -> str:
    return f"{LABEL_PREFIX}{'_'.join(value.split())} {' '.join(text.split())}\n"


def export_fasttext(workspace, label: str, path, positive: str | None = None, negative: str | None = None,
                    *, seed: int = 0) -> int:
    """Write every document with a current `label` label (only the values `positive` and
    `negative`, when either is given) to `path` atomically; returns the lines written."""
    current = workspace.labels.current(label)
    wanted = [v for v in (positive, negative) if v is not None]
    if wanted:
        current = current.filter(pc.is_in(current["value"], value_set=pa.array(wanted, pa.string())))
    if current.num_rows == 0:
        counts = workspace.labels.counts().get(label)
        raise ClassifierError(f"no document is labelled {label}" + (f" = {' or '.join(map(repr, wanted))}" if wanted else "")
                              + f" (current {label} labels: {counts or 'none'}); nothing to export")
    path = Path(path)
    if path.is_dir():
        raise ClassifierError(f"{path} is a folder; give a file name for the fastText file")
    if not path.parent.is_dir():
        raise ClassifierError(f"{path.parent} does not exist")
    order = np.random.default_rng(seed).permutation(current.num_rows)
    ids = current["doc_id"].take(pa.array(order)).to_pylist()
    value_of = dict(zip(current["doc_id"].to_pylist(), current["value"].to_pylist()))
    written = 0
    with atomic_writer(path) as out:
        for start in range(0, len(ids), READ_IDS):
            chunk = ids[start:start + READ_IDS]
            found = workspace.store.read_docs(where=sql_in("id", chunk), columns=["id", "text"])
            text_of = dict(zip(found["id"].to_pylist(), found["text"].to_pylist()))
            for doc_id in chunk:
                if doc_id in text_of:  # a label on an id that is not (or no longer) a document is skipped
                    out.write(fasttext_line(value_of[doc_id], text_of[doc_id]))
                    written += 1
    return written
