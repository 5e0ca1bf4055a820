"""Between the passes: the one reason each document is removed, or none, and the budget.

Pass 1 left in every scored file `_failed`, the first step the document failed among the
steps that need nothing global. Here the steps that read `dup_keep`/`dup_group` run with
the dedup's result, the earlier of the two failures is the reason, and the token budget
chooses among the documents left (it is global too: the best documents of the whole run).
The result is one int16 per document on disk (`reason.npy`: -1 kept, else the index of
its reason in `Decisions.reasons`) and the counts and tokens per reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.lib.format import open_memmap

from indexing.apply.steps import BUDGET_REASON, IDS_REASON, IDS_STEP, PASSED, CompiledStep, first_failing
from indexing.apply.work import WorkFolder
from indexing.progress import Reporter
from indexing.recipes.recipe import Budget

FAILED = "_failed"


@dataclass
class Decisions:
    reason: np.ndarray  # int16 per position: PASSED, or an index into `reasons`
    reasons: list[str]  # each step's text, then "budget"
    documents: np.ndarray  # per reason index (and the kept at index -1 of the extended arrays)
    tokens: np.ndarray
    kept_documents: int
    kept_tokens: int
    budget: dict | None = None  # what the budget chose: tokens, docs, candidates, max_share, groups


def with_dedup(table: pa.Table, groups: np.ndarray | None, keep: np.ndarray | None, offset: int = 0) -> pa.Table:
    """`table` with `dup_group` and `dup_keep` from the global dedup, by `_pos` (the arrays
    start at `_pos` `offset`: a worker gets only its task's slice)."""
    if groups is None:
        return table
    positions = table["_pos"].to_numpy() - offset
    found = groups[positions]
    return (table.append_column("dup_group", pa.array(found, pa.int64(), mask=found < 0))
            .append_column("dup_keep", pa.array(np.asarray(keep[positions]), pa.bool_())))


def decide(work: WorkFolder, tasks, steps: list[CompiledStep], budget: Budget | None, groups, keep,
           progress: Reporter) -> Decisions:
    total = sum(t.rows for t in tasks)
    reason = open_memmap(work.array_path("reason"), mode="w+", dtype=np.int16, shape=(total,))
    tokens = np.zeros(total, dtype=np.int64) if total < 50_000_000 else open_memmap(
        work.array_path("tokens"), mode="w+", dtype=np.int64, shape=(total,))
    late = [i for i, s in enumerate(steps) if s.after_dedup]
    wanted = {FAILED, "_pos", "tokens"} | {c for i in late for c in steps[i].reads} - {"dup_keep", "dup_group"}
    if budget is not None:
        wanted |= {c for c in (budget.order_by, budget.balance_by) if c}
    candidates: dict[str, list] = {"pos": [], "tokens": [], "order": [], "balance": []}
    with progress.stage("decide", total) as advance:
        for task in tasks:
            if task.rows == 0:
                continue
            path = work.scored_path(task.name)
            present = [c for c in pq.read_schema(path).names if c in wanted]
            table = with_dedup(pq.read_table(path, columns=present), groups, keep)
            failed = table[FAILED].to_numpy()
            if late:
                failed_late = first_failing(table, steps, late)
                failed = np.where((failed == PASSED) | ((failed_late != PASSED) & (failed_late < failed)),
                                  failed_late, failed)
            positions = table["_pos"].to_numpy()
            reason[positions] = failed
            counts = pc.fill_null(table["tokens"], 0).to_numpy()
            tokens[positions] = counts
            if budget is not None:
                passing = failed == PASSED
                candidates["pos"].append(positions[passing])
                candidates["tokens"].append(counts[passing])
                if budget.order_by:
                    candidates["order"].append(pc.cast(table[budget.order_by], pa.float64())
                                               .to_numpy(zero_copy_only=False)[passing])
                if budget.balance_by:
                    candidates["balance"].append(table[budget.balance_by].filter(pa.array(passing)).combine_chunks())
            advance(task.rows)
    reasons = [IDS_REASON if s.where == IDS_STEP else s.where for s in steps] + [BUDGET_REASON]
    chosen = _budget(budget, candidates, reason, len(steps)) if budget is not None else None
    codes = np.where(reason == PASSED, len(reasons), reason).astype(np.int64)
    documents = np.bincount(codes, minlength=len(reasons) + 1)
    sums = np.bincount(codes, weights=tokens, minlength=len(reasons) + 1).astype(np.int64)
    reason.flush()
    return Decisions(reason, reasons, documents[:-1], sums[:-1], int(documents[-1]), int(sums[-1]), chosen)


def _budget(budget: Budget, candidates: dict, reason: np.ndarray, code: int) -> dict:
    """Mark the candidates the budget does not take with the budget's reason."""
    from indexing.curate.budget import choose

    positions = np.concatenate(candidates["pos"]) if candidates["pos"] else np.empty(0, np.int64)
    tokens = np.concatenate(candidates["tokens"]) if candidates["tokens"] else np.empty(0, np.int64)
    values = np.concatenate(candidates["order"]) if budget.order_by and candidates["order"] else None
    balance = None
    if budget.balance_by and candidates["balance"]:
        parts = candidates["balance"]
        kind = next((a.type for a in parts if not pa.types.is_null(a.type)), pa.null())
        balance = pa.chunked_array([a.cast(kind) for a in parts], type=kind)
    if budget.order_by and values is None:
        values = np.empty(0)
    if budget.balance_by and balance is None:
        balance = pa.array([], pa.string())
    taken, share, groups = choose(tokens, budget.tokens, values=values, descending=budget.descending,
                                  seed=budget.seed, balance=balance, max_share=budget.max_share)
    left = np.ones(len(positions), dtype=bool)
    left[taken] = False
    reason[positions[left]] = code
    return {"tokens": int(tokens[taken].sum()), "documents": int(len(taken)), "candidates": int(len(positions)),
            "candidate_tokens": int(tokens.sum()), "max_share": share, "groups": groups}
