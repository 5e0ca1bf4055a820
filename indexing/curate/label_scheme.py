"""The label names and values the app offers as buttons, kept in WS/label_scheme.json.

The `labels` table holds what was labelled; this file holds what a curator means to
label (a name may be defined before its first use). It is tiny and rewritten whole
through an atomic rename, so two tabs saving at once leave one of the two schemes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from indexing.errors import LabelError
from indexing.curate.labels import Labels
from indexing.workspace.atomic import atomic_write_text

SCHEME_FILE = "label_scheme.json"
DEFAULT_SCHEME = {"quality": ["good", "bad"]}


def load_scheme(root: Path, labels: Labels | None = None) -> dict[str, list[str]]:
    """name -> values: the saved scheme (or the default), plus every name and value
    already in `labels`, so nothing labelled is ever missing from the app."""
    path = Path(root) / SCHEME_FILE
    if path.exists():
        scheme = _read(path)
    else:  # the default, less a name the corpus already uses as a column (its labels could not be stored)
        scheme = {name: list(values) for name, values in DEFAULT_SCHEME.items() if _usable(name, labels)}
    if labels is not None:
        for name, counts in labels.counts().items():
            values = scheme.setdefault(name, [])
            values += [v for v in counts if v not in values]
    return scheme


def _read(path: Path) -> dict[str, list[str]]:
    """The saved scheme; a damaged or foreign file is a LabelError naming it."""
    fix = "fix it, or delete it to start again from the default (labels already given are kept)"
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except json.JSONDecodeError as error:
        raise LabelError(f"{path} is damaged (line {error.lineno}, column {error.colno}: {error.msg}); {fix}") from None
    except ValueError as error:  # not UTF-8
        raise LabelError(f"{path} is damaged ({error}); {fix}") from None
    except OSError as error:
        raise LabelError(f"{path} cannot be read: {error.strerror or error}") from None
    if not isinstance(raw, dict) or not all(
        isinstance(values, list) and all(isinstance(v, str) for v in values) for values in raw.values()
    ):
        raise LabelError(f"{path} must hold an object mapping each label name to a list of values "
                         f'(e.g. {{"quality": ["good", "bad"]}}); {fix}')
    return {name: list(values) for name, values in raw.items()}


def _usable(name: str, labels: Labels | None) -> bool:
    if labels is None:
        return True
    try:
        labels.check_name(name)
    except LabelError:
        return False
    return True


def save_scheme(root: Path, scheme: dict[str, list[str]], labels: Labels) -> None:
    """Check every name (as `labels.add` would) and value, then write the file."""
    clean: dict[str, list[str]] = {}
    for name, values in scheme.items():
        labels.check_name(name)
        values = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        if not values:
            raise LabelError(f"label name {name!r} needs at least one value")
        clean[name] = values
    atomic_write_text(Path(root) / SCHEME_FILE, json.dumps(clean, indent=2) + "\n")


def parse_values(text: str) -> list[str]:
    """'good, bad,  meh' -> ['good', 'bad', 'meh'] (what the app's value box holds)."""
    return list(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


__all__ = ["DEFAULT_SCHEME", "LabelError", "load_scheme", "parse_values", "save_scheme"]


def label_codes(labels: Labels, name: str, position: Mapping[str, int], rows: int,
                values: Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
    """Per row, the code of its current `name` label for a map's colours: 0 unlabelled (grey),
    then `values` (the scheme's), then any other value found, as 1, 2, …; and the category
    names, None first. `position`: doc id -> row (ids not in it are skipped)."""
    current = labels.current(name)
    found = [v for v in dict.fromkeys(current["value"].to_pylist()) if v not in values]
    categories: list[str | None] = [None, *values, *found]
    code_of = {v: i for i, v in enumerate(categories) if v is not None}
    codes = np.zeros(rows, dtype=np.int32)
    for doc_id, value in zip(current["doc_id"].to_pylist(), current["value"].to_pylist()):
        row = position.get(doc_id)
        if row is not None:
            codes[row] = code_of[value]
    return codes, categories
