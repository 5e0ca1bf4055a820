"""Token budgets: the subset of a selection that fits N tokens, best first or balanced.

    from indexing.curate.budget import select_budget
    chosen = select_budget(ws, 5_000_000, where="quality != 'bad'", order_by="score_quality")
    chosen = select_budget(ws, 5_000_000, balance_by="cluster", max_share=0.05)
    export(ws, "clean-5m", ids=chosen.ids)          # the app and the export take `ids`
    chosen.mix_before["cluster"], chosen.mix_after["lang"]   # token shares, before and after

Candidates are the documents where `where` (docs columns and current labels, as in a
selection) holds and, when given, among `ids`. They are ranked by `order_by` (a numeric
docs column; highest first unless `descending=False`; missing values and NaN last, ties
in docs order) or, without it, in a random order fixed by `seed`.

The budget is filled greedily in rank order and is never exceeded: a document that does
not fit in what is left is skipped and the next one tried, so at the end no skipped
document would still fit.

With `balance_by` (a docs column such as `cluster` or `lang`) the candidates are taken
round-robin over its groups: every group's best document, then every group's second
best, and so on (within a round, in rank order). No group may hold more than
`max_share` of the tokens selected; by default `max_share` is twice an equal share,
min(1, 2 / number of groups among the candidates). A group that runs out of documents
leaves its part to the others; when the small groups cannot make up the rest, fewer
tokens than the budget are selected rather than letting a group pass its cap. The cap
is worked out first as a share of the most tokens that can be selected at all (water
filling over the groups' tokens), then lowered until it holds for what was selected
(whole documents rarely fill a cap exactly); should that take more than 8 passes, the
last-taken documents of the group most over its share are dropped until none is.

`mix_before` and `mix_after` are token shares per group of the candidate pool and of
the selection, for `cluster`, `lang` and the `balance_by` column (whichever exist): the
pool's 20 largest groups by tokens, largest first, the rest summed as "other"; the
selection's shares use the same keys (0.0 for a group it left out), so the two line up.
A mix with no tokens is empty. Group keys are the values as text; a missing value is "null".

Everything works on a handful of columns read once (id, tokens, the order and balance
columns, cluster, lang) with numpy; only the greedy pass is a Python loop, and it stops
as soon as the budget is full, so a million rows take about a second.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import NotIndexedError, SettingError

MIX_COLUMNS = ("cluster", "lang")  # the mixes always shown, when the workspace has them
MIX_TOP = 20  # groups listed by name in a mix; the rest are summed as "other"
OTHER = "other"
NULL = "null"
_NOT_GROUPS = ("vector", "text", "id")


@dataclass(frozen=True)
class Budget:
    """A selection that fits a token budget, and the mix of groups before and after."""

    ids: list[str]  # in the order they were taken (rank order, or round-robin order)
    tokens: int  # tokens selected (<= budget_tokens)
    docs: int
    mix_before: dict[str, dict[str, float]]  # {"cluster": {"3": share of tokens, ...}, "lang": {...}}
    mix_after: dict[str, dict[str, float]]
    budget_tokens: int = 0
    candidates: int = 0  # documents in the candidate pool
    candidate_tokens: int = 0
    max_share: float | None = None  # the cap used with balance_by (None without it)
    groups: dict[str, int] = field(default_factory=dict)  # balance group -> tokens selected


# ---- arguments ----------------------------------------------------------------


def _check_budget(budget_tokens) -> int:
    if isinstance(budget_tokens, bool):
        raise SettingError(f"budget_tokens must be a whole number of tokens, not {budget_tokens!r}")
    try:
        budget = operator.index(budget_tokens)
    except TypeError:
        raise SettingError(f"budget_tokens must be a whole number of tokens, not {budget_tokens!r}") from None
    if budget < 0:
        raise SettingError(f"budget_tokens must be 0 or more, not {budget}")
    return budget


def _check_column(schema: pa.Schema, name: str, role: str, numeric: bool) -> None:
    usable = [f.name for f in schema if f.name not in ("vector",)]
    if not isinstance(name, str) or name not in schema.names or name == "vector":
        raise SettingError(f"{role} {name!r} is not a docs column; available columns: {', '.join(usable)}")
    kind = schema.field(name).type
    if numeric and not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        numbers = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
        raise SettingError(f"{role} {name!r} holds {kind}, not numbers; numeric columns: {', '.join(numbers)}")
    if not numeric and (name in _NOT_GROUPS or pa.types.is_nested(kind)):
        raise SettingError(f"{role} {name!r} cannot group documents; use a column like cluster or lang")


def _check_share(max_share) -> float:
    if isinstance(max_share, bool) or not isinstance(max_share, (int, float)):
        raise SettingError(f"max_share must be a number in (0, 1], not {max_share!r}")
    share = float(max_share)
    if not (0.0 < share <= 1.0):
        raise SettingError(f"max_share must be in (0, 1] (a share of the selected tokens), not {max_share!r}")
    return share


# ---- columns ------------------------------------------------------------------


def _groups(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """Group index per row and the group names (values as text; a missing value is "null")."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    names = [NULL if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
             for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, names


def _rank(values: np.ndarray | None, descending: bool, seed: int, n: int) -> np.ndarray:
    """Candidate positions, best first: by value (NaN last, ties in docs order) or at random."""
    if values is None:
        return np.random.default_rng(seed).permutation(n)
    keys = -values if descending else values
    keys = np.where(np.isnan(keys), np.inf, keys)
    return np.argsort(keys, kind="stable")


def _round_robin(order: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`order` re-arranged as rounds over the groups: each group's first, then each one's second..."""
    ranked_groups = groups[order]
    by_group = np.argsort(ranked_groups, kind="stable")  # positions in `order`, grouped, rank kept
    starts = np.searchsorted(ranked_groups[by_group], ranked_groups[by_group], side="left")
    round_of = np.empty(len(order), dtype=np.int64)
    round_of[by_group] = np.arange(len(order)) - starts
    return order[np.lexsort((np.arange(len(order)), round_of))]


# ---- the greedy passes --------------------------------------------------------


def _fill(tokens: np.ndarray, budget: int) -> np.ndarray:
    """Positions (into the ranked `tokens`) taken greedily; a document that does not fit is skipped."""
    if len(tokens) == 0:
        return np.empty(0, dtype=np.int64)
    running = np.cumsum(tokens)
    head = int(np.searchsorted(running, budget, side="right"))  # the prefix that fits whole
    taken = list(range(head))
    remaining = budget - (int(running[head - 1]) if head else 0)
    if head < len(tokens):
        rest = tokens[head:]
        floor = np.minimum.accumulate(rest[::-1])[::-1]  # the smallest document from here on
        for offset, (size, smallest) in enumerate(zip(rest.tolist(), floor.tolist())):
            if smallest > remaining:
                break
            if size <= remaining:
                taken.append(head + offset)
                remaining -= size
    return np.asarray(taken, dtype=np.int64)


def _fill_capped(tokens: np.ndarray, groups: np.ndarray, budget: int, cap: int, n_groups: int) -> np.ndarray:
    """Greedy over the ranked documents, each group holding at most `cap` tokens."""
    used = [0] * n_groups
    full = [False] * n_groups
    open_groups = n_groups
    taken = []
    remaining = budget
    for position, (size, group) in enumerate(zip(tokens.tolist(), groups.tolist())):
        if full[group]:
            continue
        if size <= remaining and used[group] + size <= cap:
            taken.append(position)
            used[group] += size
            remaining -= size
            if remaining == 0:
                break
            if used[group] == cap:
                full[group] = True
                open_groups -= 1
                if open_groups == 0:
                    break
    return np.asarray(taken, dtype=np.int64)


def _reachable_total(available: np.ndarray, share: float, budget: int) -> int:
    """The most tokens T <= budget with sum(min(available_g, share * T)) >= T (water filling)."""
    high = int(min(budget, available.sum()))
    if share >= 1.0 or np.minimum(available, share * high).sum() >= high:
        return high
    low = 0  # feasible; f(T)/T only falls as T grows, so the feasible totals are [0, T*]
    while low < high:
        middle = (low + high + 1) // 2
        if np.minimum(available, share * middle).sum() >= middle:
            low = middle
        else:
            high = middle - 1
    return low


def _over(used: np.ndarray, total: int, share: float) -> bool:
    return bool(len(used)) and used.max() > share * total + 1e-9


def _trim(taken: list[int], tokens: np.ndarray, groups: np.ndarray, n_groups: int, share: float) -> list[int]:
    """Drop the last-taken documents of the group most over its share until none is."""
    used = np.bincount(groups[taken], weights=tokens[taken], minlength=n_groups)
    total = int(used.sum())
    kept = list(taken)
    while kept and _over(used, total, share):
        worst = int(np.argmax(used))
        last = max(i for i, p in enumerate(kept) if groups[p] == worst)
        position = kept.pop(last)
        used[worst] -= tokens[position]
        total -= int(tokens[position])
    return kept


def _balanced(tokens: np.ndarray, groups: np.ndarray, n_groups: int, budget: int, share: float) -> np.ndarray:
    """Round-robin positions taken with every group at most `share` of the selected tokens."""
    fits = tokens <= budget
    available = np.bincount(groups[fits], weights=tokens[fits], minlength=n_groups)
    target = _reachable_total(available, share, budget)
    cap = math.floor(share * target + 1e-9)
    for _ in range(8):
        taken = _fill_capped(tokens, groups, budget, cap, n_groups)
        total = int(tokens[taken].sum())
        used = np.bincount(groups[taken], weights=tokens[taken], minlength=n_groups)
        if share >= 1.0 or not _over(used, total, share):
            return taken
        cap = min(cap - 1, math.floor(share * total + 1e-9))  # a group fell short: lower the cap
    return np.asarray(_trim(taken.tolist(), tokens, groups, n_groups, share), dtype=np.int64)


# ---- mixes --------------------------------------------------------------------


def _mix(indices: np.ndarray, names: list[str], tokens: np.ndarray, pool: np.ndarray, chosen: np.ndarray):
    """Token shares per group of the pool and of the chosen rows, on the pool's top groups."""
    sums_pool = np.bincount(indices[pool], weights=tokens[pool], minlength=len(names))
    sums_chosen = np.bincount(indices[chosen], weights=tokens[chosen], minlength=len(names))
    present = np.flatnonzero(np.bincount(indices[pool], minlength=len(names)))
    ranked = sorted(present.tolist(), key=lambda g: (-sums_pool[g], names[g]))
    top, rest = ranked[:MIX_TOP], ranked[MIX_TOP:]

    def shares(sums: np.ndarray) -> dict[str, float]:
        total = float(sums.sum())
        if total <= 0:
            return {}
        out = {names[g]: float(sums[g]) / total for g in top}
        if rest:
            out[OTHER] = out.get(OTHER, 0.0) + float(sums[rest].sum()) / total
        return out

    return shares(sums_pool), shares(sums_chosen)


# ---- the selection ------------------------------------------------------------


def choose(tokens: np.ndarray, budget: int, *, values: np.ndarray | None = None, descending: bool = True,
           seed: int = 0, balance: pa.Array | pa.ChunkedArray | None = None, max_share: float | None = None
           ) -> tuple[np.ndarray, float | None, dict[str, int]]:
    """The budget's choice over candidate arrays (what `select_budget` and `loupe apply` share):
    (positions taken, in taking order; the cap used with `balance`; tokens per balance group)."""
    order = _rank(values, descending, seed, len(tokens))
    if balance is None:
        return order[_fill(tokens[order], budget)], None, {}
    groups, names = _groups(balance)
    n_groups = len(names)  # the values present among the candidates
    used_share = float(max_share) if max_share is not None else min(1.0, 2.0 / n_groups) if n_groups else 1.0
    sequence = _round_robin(order, groups)
    taken = sequence[_balanced(tokens[sequence], groups[sequence], len(names), budget, used_share)]
    sums = np.bincount(groups[taken], weights=tokens[taken], minlength=len(names))
    group_tokens = {names[g]: int(sums[g]) for g in np.argsort(-sums, kind="stable") if sums[g] > 0}
    return taken, used_share, group_tokens



def select_budget(
    workspace,
    budget_tokens: int,
    *,
    where: str | None = None,
    ids: Sequence[str] | None = None,
    order_by: str | None = None,
    descending: bool = True,
    balance_by: str | None = None,
    max_share: float | None = None,
    seed: int = 0,
) -> Budget:
    """The documents (of `where` and `ids`) that fill `budget_tokens`, best first or balanced.

    `order_by`: a numeric docs column to rank by (None: random order from `seed`). A
    document that does not fit in what is left of the budget is skipped and the next
    tried; the budget is never exceeded. `balance_by`: a docs column whose groups are
    taken round-robin, none above `max_share` of the selected tokens (default
    min(1, 2 / groups)). See the module docstring for the exact rules. Bad arguments
    (a negative budget, an unknown or non-numeric column, `max_share` outside (0, 1] or
    without `balance_by`, a bad predicate) raise ValueError.
    """
    budget = _check_budget(budget_tokens)
    if isinstance(ids, str):
        raise SettingError("ids must be a list of ids, not a single string")
    if max_share is not None:
        _check_share(max_share)
        if balance_by is None:
            raise SettingError("max_share caps a group's share; give balance_by (e.g. 'cluster') with it")
    schema = workspace.store.docs_schema()
    if schema is None:
        raise NotIndexedError(workspace.root)
    if "tokens" not in schema.names:
        raise NotIndexedError(workspace.root, "`tokens` column")
    if order_by is not None:
        _check_column(schema, order_by, "order_by", numeric=True)
    if balance_by is not None:
        _check_column(schema, balance_by, "balance_by", numeric=False)

    grouped = [c for c in (*MIX_COLUMNS, balance_by) if c is not None and c in schema.names]
    grouped = list(dict.fromkeys(grouped))
    columns = list(dict.fromkeys(["id", "tokens", *([order_by] if order_by else []), *grouped]))
    table = workspace.store.read_docs(columns=columns)
    if (where is not None and where.strip()) or ids is not None:
        allowed = workspace.select(where, ids)  # SelectionError (a ValueError) for a bad predicate
        table = table.filter(pc.is_in(table["id"], value_set=pa.array(allowed, pa.string())))

    n = table.num_rows
    tokens = pc.fill_null(table["tokens"], 0).to_numpy().astype(np.int64)
    values = None
    if order_by is not None:
        values = pc.cast(table[order_by], pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)
    taken, used_share, group_tokens = choose(tokens, budget, values=values, descending=descending, seed=seed,
                                             balance=None if balance_by is None else table[balance_by],
                                             max_share=max_share)

    pool = np.arange(n)
    before, after = {}, {}
    for column in grouped:
        indices, names = _groups(table[column])
        before[column], after[column] = _mix(indices, names, tokens, pool, taken)
    return Budget(
        ids=table["id"].take(pa.array(taken, pa.int64())).to_pylist(),
        tokens=int(tokens[taken].sum()),
        docs=int(len(taken)),
        mix_before=before,
        mix_after=after,
        budget_tokens=budget,
        candidates=n,
        candidate_tokens=int(tokens.sum()),
        max_share=used_share,
        groups=group_tokens,
    )
