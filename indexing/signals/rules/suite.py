"""A rule suite: named signal columns, how to compute them, and their published thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import pyarrow as pa

from indexing.curate.thresholds import Rule


@dataclass(frozen=True)
class Suite:
    """The columns of one published filter set (all named `<name>_<measure>`).

    `measure` computes every column for a batch of texts, splitting each text into lines
    and words once for all of them; `rules` are the suite's default thresholds, one
    `Rule(column, low, high)` per column the source gives a page-level threshold for.
    """

    name: str
    preset: str  # the name its thresholds go by in the app and in recipes ("Gopher")
    reference: str
    types: Mapping[str, pa.DataType]
    rules: tuple[Rule, ...]
    measure: Callable[[list[str]], dict[str, pa.Array]]

    def __post_init__(self) -> None:
        for column in self.types:
            if not (column.startswith(f"{self.name}_") and column.isidentifier() and column == column.lower()):
                raise ValueError(f"suite {self.name!r}: column {column!r} is not `{self.name}_<measure>`")
        for rule in self.rules:
            if rule.column not in self.types:
                raise ValueError(f"suite {self.name!r}: rule on unknown column {rule.column!r}")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.types)

    def fields(self) -> list[pa.Field]:
        return [pa.field(name, type_) for name, type_ in self.types.items()]

    def compute(self, texts: Sequence[str]) -> dict[str, pa.Array]:
        """Every column of the suite for `texts`, in `columns` order, one value per text.

        Texts go to `measure` in slices of at most `SLICE_CHARS` characters (at least one
        text each), so that a batch of very long documents never holds all their words at once."""
        texts = list(texts)
        if not texts:
            return {name: pa.array([], type_) for name, type_ in self.types.items()}
        parts = [self.measure(part) for part in _slices(texts, SLICE_CHARS)]
        if len(parts) == 1:
            return {name: parts[0][name] for name in self.types}
        return {name: pa.concat_arrays([part[name] for part in parts]) for name in self.types}


SLICE_CHARS = 4_000_000


def _slices(texts: list[str], limit: int) -> list[list[str]]:
    slices: list[list[str]] = [[]]
    size = 0
    for text in texts:
        if slices[-1] and size + len(text) > limit:
            slices.append([])
            size = 0
        slices[-1].append(text)
        size += len(text)
    return slices
