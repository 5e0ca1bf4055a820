"""The dedup stage of a workspace: find groups, pick who stays, write two columns.

`dedup(workspace, method)` reads what the method needs from `docs` (texts in
batches, or the vectors), computes one group id per document, chooses one member
of each group to keep, and writes, for every document, in ONE
`Store.replace_columns` call (Lance's drop_columns + merge: a kill leaves the previous
columns, or, between the two, none; never a half-written column; running dedup again repairs it):

- `dup_group` (int64): the group's smallest row position, null for a document
  without a duplicate;
- `dup_keep` (bool): true for every document without a duplicate and for the kept
  member of each group, so the filter `dup_keep = true` drops the rest.

A later run, with any method, replaces both columns. The run is recorded in
`workspace.json` under `stages["dedup"]` (method, threshold, keep rule, counts).
The whole stage holds the workspace's writer lock, as `loupe index` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import DedupError, NotIndexedError, SettingError
from indexing.workspace.lock import writer_lock
from indexing.progress import Quiet, Reporter
from indexing.vectors.stored import not_embedded, vector_matrix
from indexing.workspace.sql import sql_in
from indexing.workspace.stages import record_stages, stage_entry
from indexing.curate.dedup.exact import exact_keys
from indexing.curate.dedup.groups import NO_GROUP, groups_from_labels, kept_members, summary
from indexing.curate.dedup.minhash import check_parameters, groups_from_signatures, signatures
from indexing.curate.dedup.semantic import default_clusters, semantic_groups

METHODS = ("exact", "minhash", "semantic")
KEEP_RULES = ("longest", "score", "first")
DEFAULT_THRESHOLD = {"exact": 1.0, "minhash": 0.8, "semantic": 0.95}
STAGE = "dedup"
COLUMNS = ("dup_group", "dup_keep")
MINHASH = {"num_perm": 128, "ngram": 5, "seed": 1}
BATCH_ROWS = 4096


@dataclass(frozen=True)
class DedupResult:
    method: str
    threshold: float  # exact: 1.0 (identical after normalisation); minhash: Jaccard; semantic: cosine
    groups: int  # groups of two or more documents
    duplicates: int  # documents in some group
    removed: int  # documents with dup_keep false: duplicates - groups
    seconds: float
    keep_rule: str
    documents: int = 0  # documents compared (every document of the workspace)
    score_column: str | None = None


def _check(root, schema: pa.Schema, method: str, threshold: float | None, keep: str, score_column: str | None) -> float:
    if method not in METHODS:
        raise DedupError(f"unknown dedup method {method!r}; choose one of {', '.join(METHODS)}")
    if keep not in KEEP_RULES:
        raise DedupError(f"unknown keep rule {keep!r}; choose one of {', '.join(KEEP_RULES)}")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
        raise DedupError(f"threshold must be a number, not {threshold!r}")
    if method == "minhash":
        threshold = DEFAULT_THRESHOLD[method] if threshold is None else float(threshold)
        try:
            check_parameters(threshold, MINHASH["num_perm"], MINHASH["ngram"])
        except ValueError as error:
            raise DedupError(str(error)) from None
    elif method == "semantic":
        threshold = DEFAULT_THRESHOLD[method] if threshold is None else float(threshold)
        if not 0.0 < threshold < 1.0:
            raise DedupError(f"a semantic threshold is a cosine similarity in (0, 1), not {threshold!r}")
        if "vector" not in schema.names:
            raise NotIndexedError(root, "vectors")
    else:
        threshold = DEFAULT_THRESHOLD[method]  # exact ignores a threshold
    if keep == "score":
        numeric = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
        scores = [n for n in numeric if n.startswith("score")] or numeric
        if not score_column:
            raise DedupError("keep rule 'score' needs a score column (score_column=...); numeric columns: "
                             + (", ".join(scores) or "none"))
        if score_column not in schema.names:
            raise DedupError(f"no column {score_column!r} in docs; numeric columns: {', '.join(scores) or 'none'}")
        if score_column not in numeric:
            raise DedupError(f"column {score_column!r} is {schema.field(score_column).type}, not a number")
    elif score_column is not None:
        raise DedupError(f"score_column is only used with keep='score' (keep is {keep!r})")
    return threshold


def _texts(dataset, ids: list) -> Iterator[str]:
    """Every text in docs order, read in batches; appends each batch's ids to `ids`."""
    for batch in dataset.to_batches(columns=["id", "text"], batch_size=BATCH_ROWS):
        ids.extend(batch.column("id").to_pylist())
        yield from batch.column("text").to_pylist()


def _rank(dataset, keep: str, score_column: str | None) -> np.ndarray | None:
    """What the keep rule maximises per document, in docs order (None: the first)."""
    if keep == "first":
        return None
    if keep == "score":
        values = dataset.to_table(columns=[score_column]).column(score_column)
    elif "chars" in dataset.schema.names:
        values = dataset.to_table(columns=["chars"]).column("chars")
    else:
        values = pa.chunked_array([pc.utf8_length(b.column("text"))
                                   for b in dataset.to_batches(columns=["text"], batch_size=BATCH_ROWS)])
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)  # nulls become NaN: ranked last


def dedup(
    workspace, method: str, threshold: float | None = None, keep: str = "longest",
    score_column: str | None = None, progress: Reporter | None = None,
) -> DedupResult:
    """Find the duplicates of `workspace` with `method` and write `dup_group`/`dup_keep`.

    threshold: exact: ignored; minhash: estimated Jaccard similarity of word 5-gram
    shingles (default 0.8); semantic: cosine similarity, 1 - eps (default 0.95).
    keep: which member of a group keeps dup_keep = true: "longest" (most characters),
    "score" (highest `score_column`; a null ranks last) or "first" (in docs order);
    ties go to the first.
    """
    progress = progress or Quiet()
    store = workspace.store
    if not store.has("docs") or store.count() == 0:
        raise NotIndexedError(workspace.root)
    with writer_lock(workspace.root):
        started = time.perf_counter()
        dataset = store.table("docs").to_lance()  # one version for every read below
        threshold = _check(workspace.root, dataset.schema, method, threshold, keep, score_column)
        n = dataset.count_rows()
        ids: list = []
        extra: dict = {}
        if method == "exact":
            with progress.stage("exact", n) as advance:
                groups = groups_from_labels(exact_keys(_texts(dataset, ids), advance))
        elif method == "minhash":
            values, has_words = signatures(_texts(dataset, ids), MINHASH["num_perm"], MINHASH["ngram"],
                                           MINHASH["seed"], progress, total=n)
            groups = groups_from_signatures(values, has_words, threshold, MINHASH["seed"], progress)
            extra = dict(MINHASH)
        else:
            table = dataset.to_table(columns=["id", "vector"])
            ids = table.column("id").to_pylist()
            clusters = default_clusters(n)
            groups = semantic_groups(vector_matrix(table, lambda count: not_embedded(workspace.root, count)),
                                     eps=1.0 - threshold, clusters=clusters, progress=progress)
            extra = {"clusters": min(clusters, n), "eps": round(1.0 - threshold, 12)}
        if len(ids) != n or len(groups) != n:
            raise RuntimeError(f"read {len(ids)} ids and {len(groups)} groups for {n} documents")
        dup_keep = kept_members(groups, _rank(dataset, keep, score_column))
        with progress.stage("write", 1, unit="columns") as advance:
            store.replace_columns(pa.table({
                "id": pa.array(ids, dataset.schema.field("id").type),
                "dup_group": pa.array(groups, pa.int64(), mask=groups == NO_GROUP),
                "dup_keep": pa.array(dup_keep, pa.bool_()),
            }))
            advance(1)
        count, duplicates, removed = summary(groups)
        seconds = time.perf_counter() - started
        result = DedupResult(method, float(threshold), count, duplicates, removed, round(seconds, 3), keep,
                             n, score_column)
        record_stages(workspace, {STAGE: stage_entry(
            n, result.seconds, method=method, threshold=result.threshold, keep=keep, score_column=score_column,
            groups=count, duplicates=duplicates, removed=removed, **extra,
        )})
    return result


def last_run(workspace) -> dict | None:
    """What the latest dedup recorded in workspace.json (None: never run). Its `rows`
    differ from the document count when documents were added since (their dup_keep is null)."""
    return workspace.state.stages.get(STAGE)


def groups_table(workspace, limit: int = 50) -> pa.Table:
    """The `limit` largest duplicate groups (ties: the earlier group first), one row per
    member: dup_group, id, text, dup_keep, chars, dup_size; the kept member first in each
    group, then docs order. What the app shows side by side."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise SettingError(f"limit must be a positive integer, not {limit!r}")
    store = workspace.store
    schema = store.docs_schema()
    if schema is None or "dup_group" not in schema.names:
        raise DedupError(f"{workspace.root} has no duplicate groups yet; run `loupe dedup` first")
    dataset = store.table("docs").to_lance()
    grouped = dataset.to_table(columns=["dup_group"], filter="dup_group IS NOT NULL").column("dup_group")
    values, sizes = np.unique(grouped.to_numpy(), return_counts=True)
    chosen = values[np.lexsort((values, -sizes))][:limit]
    size_of = dict(zip(values.tolist(), sizes.tolist()))
    has_chars = "chars" in schema.names
    columns = ["dup_group", "id", "text", "dup_keep"] + (["chars"] if has_chars else [])
    if len(chosen) == 0:
        rows = dataset.to_table(columns=columns, limit=0)
    else:
        rows = dataset.to_table(columns=columns, filter=sql_in("dup_group", chosen))
    if not has_chars:
        rows = rows.append_column("chars", pc.cast(pc.utf8_length(rows.column("text")), pa.int64()))
    place = {int(g): i for i, g in enumerate(chosen)}
    group_of = rows.column("dup_group").to_pylist()
    rank = np.array([place[g] for g in group_of], dtype=np.int64)
    kept = np.asarray(rows.column("dup_keep").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    order = np.lexsort((np.arange(rows.num_rows), ~kept, rank))
    rows = rows.take(pa.array(order, pa.int64()))
    return rows.append_column("dup_size", pa.array([size_of[g] for g in rows.column("dup_group").to_pylist()],
                                                   pa.int64()))
