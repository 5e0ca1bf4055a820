"""Compare two runs (exports or applied outputs): what B adds to A's kept documents, what it
removes, and why, so a curator sees what a changed threshold did to the corpus.

    from indexing import diff_runs
    change = diff_runs("exports/v1", "exports/v2")
    change.removed.documents, change.removed.by_reason, change.added.by_cluster, change.as_dict()

Documents are matched by `id`. Removed: kept in A, not kept in B; its reason is the one B's
`removed/` records (`reason`, with `reason_value` beside the examples), "removed (no reason
recorded)" when B's `removed/` holds it without one (a plain export with
`--include-removed`), or "not in B" when B does not hold it at all. Added is the mirror
image: kept in B, not kept in A, with A's reason for having removed it. Both are broken down
by cluster and by language when the run holds those columns.

Memory: only the small columns of each side's kept rows are held (id, tokens, cluster, lang),
the `removed/` folders are streamed and only the rows of changed documents kept; the sets are
compared with `pyarrow.compute.is_in` / `index_in`, never as Python objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import SettingError
from indexing.exports.run_folder import TYPES, RunFolder, open_run
from indexing.progress import Quiet, Reporter

KEPT_COLUMNS = ("id", "tokens", "cluster", "lang")
REASON_COLUMNS = ("id", "reason", "reason_value")
NO_REASON = "removed (no reason recorded)"
EXAMPLES = 3


@dataclass
class Group:
    """The documents of one reason, cluster or language: how many, their tokens, a few ids
    (and, for a reason, the value that failed for each of those ids)."""

    group: str | None
    documents: int
    tokens: int | None
    examples: list[str]
    values: list[str | None] | None = None


@dataclass
class Change:
    """The documents added or removed, in all and broken down (None: the run lacks that column)."""

    documents: int
    tokens: int | None
    by_reason: list[Group]
    by_cluster: list[Group] | None
    by_lang: list[Group] | None


@dataclass
class Side:
    """One run: its folder, kind ("export" or "apply"), and the documents and tokens it keeps."""

    path: str
    kind: str
    documents: int
    tokens: int | None


@dataclass
class RunDiff:
    """What changed from run A to run B (see the module docstring)."""

    a: Side
    b: Side
    unchanged: dict = field(default_factory=dict)  # {"documents", "tokens"}: kept in both
    removed: Change | None = None
    added: Change | None = None

    def as_dict(self) -> dict:
        """Plain lists, dicts, strings and numbers, for `json.dumps` (`loupe diff --json`)."""
        return asdict(self)


def diff(a: str | Path, b: str | Path, *, examples: int = EXAMPLES, progress: Reporter | None = None) -> RunDiff:
    """Compare the runs in folders `a` and `b`; `examples` ids are kept per group.
    A folder that is not a readable export or applied output raises DiffError."""
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise SettingError(f"examples must be a whole number >= 0, not {examples!r}")
    progress = progress or Quiet()
    run_a, run_b = open_run(a, "A"), open_run(b, "B")
    kept_a = _read(run_a, "kept", KEPT_COLUMNS, progress, "read A")
    kept_b = _read(run_b, "kept", KEPT_COLUMNS, progress, "read B")
    in_b = pc.is_in(kept_a.column("id"), value_set=kept_b.column("id"))
    in_a = pc.is_in(kept_b.column("id"), value_set=kept_a.column("id"))
    removed = kept_a.filter(pc.invert(in_b))
    added = kept_b.filter(pc.invert(in_a))
    return RunDiff(
        a=_side(run_a, kept_a), b=_side(run_b, kept_b),
        unchanged=_count(kept_a.filter(in_b)),
        removed=_change(removed, run_b, "B", examples, progress),
        added=_change(added, run_a, "A", examples, progress),
    )


def _read(run: RunFolder, side: str, columns, progress: Reporter, stage: str, only: pa.Array | None = None) -> pa.Table:
    """`side`'s rows as a table of `columns` (those present); with `only`, just the rows whose id is in it."""
    batches = []
    schema = None
    with progress.stage(stage, run.rows(side)) as advance:
        for batch in run.batches(side, columns):
            schema = batch.schema
            advance(batch.num_rows)
            if only is not None:
                batch = batch.filter(pc.is_in(batch.column("id"), value_set=only))
            if batch.num_rows:
                batches.append(batch)
    if schema is None:  # no rows at all
        present = set(run.columns(side)) | {"id"}
        schema = pa.schema([(c, TYPES[c]) for c in columns if c in present])
    return pa.Table.from_batches(batches, schema=schema)


def _count(table: pa.Table) -> dict:
    return {"documents": table.num_rows, "tokens": _tokens(table)}


def _tokens(table: pa.Table) -> int | None:
    if "tokens" not in table.column_names:
        return None
    return int(pc.sum(table.column("tokens")).as_py() or 0)


def _side(run: RunFolder, kept: pa.Table) -> Side:
    return Side(str(run.path), run.kind, kept.num_rows, _tokens(kept))


def _change(changed: pa.Table, other: RunFolder, label: str, examples: int, progress: Reporter) -> Change:
    """`changed` (rows kept by one run only) with the reason the `other` run (`label`) gives for not keeping them."""
    reasons = _reasons(changed, other, label, progress)
    table = changed.append_column("reason", reasons[0]).append_column("reason_value", reasons[1])
    return Change(
        documents=changed.num_rows, tokens=_tokens(changed),
        by_reason=_groups(table, "reason", examples, values="reason_value"),
        by_cluster=_groups(table, "cluster", examples) if "cluster" in changed.column_names else None,
        by_lang=_groups(table, "lang", examples) if "lang" in changed.column_names else None,
    )


def _reasons(changed: pa.Table, other: RunFolder, label: str, progress: Reporter) -> tuple[pa.Array, pa.Array]:
    """For each row of `changed`: why `other` does not keep it, and the value that failed."""
    rows, absent = changed.num_rows, f"not in {label}"
    if not rows or not other.has("removed"):
        return pa.array([absent] * rows, pa.string()), pa.nulls(rows, pa.string())
    ids = changed.column("id").combine_chunks()
    recorded = _read(other, "removed", REASON_COLUMNS, progress, f"reasons {label}", only=ids)
    at = pc.index_in(ids, value_set=recorded.column("id").combine_chunks())
    found = pc.is_valid(at)
    if "reason" in recorded.column_names:
        reason = pc.fill_null(recorded.column("reason").combine_chunks().take(at), NO_REASON)
    else:
        reason = pa.array([NO_REASON] * rows, pa.string())
    reason = pc.if_else(found, reason, pa.scalar(absent, pa.string()))
    value = (recorded.column("reason_value").combine_chunks().take(at) if "reason_value" in recorded.column_names
             else pa.nulls(rows, pa.string()))
    return reason, value


def _groups(table: pa.Table, key: str, examples: int, values: str | None = None) -> list[Group]:
    """Documents, tokens and the first `examples` ids of each value of `key`, most documents first."""
    if not table.num_rows:
        return []
    has_tokens = "tokens" in table.column_names
    aggregates = [("id", "count"), ("id", "list")] + ([("tokens", "sum")] if has_tokens else [])
    aggregates += [(values, "list")] if values else []
    grouped = table.group_by(key, use_threads=False).aggregate(aggregates)  # one thread: lists in file order
    ids = pc.list_slice(grouped.column("id_list"), 0, examples).to_pylist()
    shown = pc.list_slice(grouped.column(f"{values}_list"), 0, examples).to_pylist() if values else None
    tokens = grouped.column("tokens_sum").to_pylist() if has_tokens else None
    groups = [
        Group(value, count, int(tokens[i] or 0) if has_tokens else None, ids[i], shown[i] if values else None)
        for i, (value, count) in enumerate(zip(grouped.column(key).to_pylist(), grouped.column("id_count").to_pylist()))
    ]
    return sorted(groups, key=lambda g: (-g.documents, g.group is None, str(g.group)))
