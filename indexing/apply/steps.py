"""A recipe's filter steps over a batch of documents: which step removes each, and why.

Every step is evaluated on every document in one DataFusion query per batch, so the
first step a document fails is known exactly (a NULL counts as failing, as a SQL filter
drops it). Steps that read `dup_keep`/`dup_group` wait for the global dedup; the others
run as the documents are read. The reason kept for a removed document is the step's text
and the values of the columns it read (`tokens=12`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import RecipeError
from indexing.recipes.recipe import Step

DEDUP_COLUMNS = frozenset({"dup_keep", "dup_group"})
PASSED = -1  # the first failing step of a document that fails none
IDS_STEP = "_in_ids"  # the step of a recipe with an explicit id list: a bool column scoring makes
IDS_REASON = "not among the recipe's ids"
BUDGET_REASON = "budget"


@dataclass(frozen=True)
class CompiledStep:
    where: str
    reads: tuple[str, ...]
    after_dedup: bool
    about: str | None = None


def compile_steps(steps: list[Step], schema: pa.Schema, labels: list[str], source: str) -> list[CompiledStep]:
    """Each step checked against the columns apply makes (RecipeError naming the step otherwise)."""
    from indexing.curate.selection import referenced_columns

    compiled = []
    for number, step in enumerate(steps, 1):
        try:
            reads = referenced_columns(step.where, schema, labels)
        except ValueError as error:
            raise RecipeError(f"{source}: filter step {number} ({step.where!r}): {error}") from None
        compiled.append(CompiledStep(step.where, tuple(reads), bool(DEDUP_COLUMNS & set(reads)), step.about))
    return compiled


def _context():
    from indexing.curate.selection import _context as selection_context

    return selection_context()


def first_failing(table: pa.Table, steps: list[CompiledStep], which: list[int]) -> np.ndarray:
    """Per row, the smallest index in `which` whose step is not true for it (PASSED: none)."""
    out = np.full(table.num_rows, PASSED, dtype=np.int16)
    if not which or table.num_rows == 0:
        return out
    needed = sorted({c for i in which for c in steps[i].reads} | {"_pos"})
    context = _context()
    frame = context.from_arrow(table.select(needed).combine_chunks(), name="docs")
    from datafusion import col

    exprs = [col("_pos")] + [frame.parse_sql_expr(steps[i].where).alias(f"s{k}") for k, i in enumerate(which)]
    result = frame.select(*exprs).to_arrow_table()
    order = np.argsort(result["_pos"].to_numpy(), kind="stable")  # DataFusion may reorder partitions
    positions = table["_pos"].to_numpy()
    rank = np.argsort(positions, kind="stable")
    for k, i in reversed(list(enumerate(which))):  # the smallest failing index wins: write it last
        ok = pc.fill_null(result[f"s{k}"], False).to_numpy(zero_copy_only=False)[order]
        failed = np.empty(table.num_rows, dtype=bool)
        failed[rank] = ~ok
        out[failed] = i
    return out


def reason_values(table: pa.Table, step: CompiledStep) -> list[str]:
    """`col=value, ...` of the columns `step` reads, per row of `table`."""
    shown = [c for c in step.reads if c in table.column_names]
    if not shown:
        return [""] * table.num_rows
    columns = [table[c].to_pylist() for c in shown]
    return [", ".join(f"{name}={_short(value)}" for name, value in zip(shown, row)) for row in zip(*columns)]


def _short(value) -> str:
    text = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."
