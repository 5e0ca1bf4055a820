"""Export the curated subset of a workspace, with a manifest, all or nothing.

    from indexing import export
    result = export(ws, "clean-v1", where="tokens > 20 AND quality = 'good'", format="parquet")
    result.path, result.kept, result.removed, result.manifest

The kept rows are `indexing.curate.selection.select_ids(workspace, where, ids)` (a SQL
predicate over `docs` and the current labels, intersected with an explicit id
list), so the export agrees with the map, the table and bulk labels. `docs` is
read in Arrow batches and filtered with `pyarrow.compute.is_in`, so a million
rows never sit in memory as Python objects (JSONL converts one batch at a time).

Atomicity: everything is written into a temporary folder next to the target,
`.<name>.tmp-<random>` in the same parent, every file is fsynced, and only then
is the folder renamed to its final name (one `rename`, atomic on a POSIX file
system), and the parent fsynced. An error removes the temporary folder; a kill
leaves it behind, never a folder under the final name. A later export into the
same parent removes such leftovers once nothing in them has changed for an
hour (`STALE_AFTER_S`); a younger one may belong to an export still running, so
it is left alone. Only folders with Loupe's marker file (or manifest) inside are removed.
An export never overwrites: a target that exists is a `FileExistsError`.

The data files are written by `formats.py` (one writer per format), the folder's
atomic rename and the removal of leftovers live in `folder.py`.

Layout of an export folder:

    manifest.json             what was exported, from what, and how much (below)
    part-00000.jsonl ...      format "jsonl": one JSON object per line, UTF-8
    part-00000.parquet ...    format "parquet"
    data-00000-of-0000N.arrow, dataset_info.json, state.json
                              format "hf": `datasets.load_from_disk(path)` reads it
    removed/                  with include_removed=True: the complement, same format
    recipe.yaml, recipe.assets/
                              the recipe that reproduces this export (`loupe apply`,
                              `loupe recipe show`): its filter, classifiers, labels,
                              dedup, budget (or explicit ids) and this output

Files are always numbered, even when there is only one (`shard_rows=None`), and
an empty selection still writes one (empty) file, so a reader can always glob
`part-*`. With `shard_rows=N` each file holds at most N rows: JSONL and Parquet
fill files of exactly N in order (25 rows, N=10: 10, 10, 5); "hf" lets
`save_to_disk` cut ceil(rows/N) contiguous shards of near-equal size (9, 8, 8).

`manifest.json` (`manifest_version` 1; fields are only ever added):
`name`, `created_at` (UTC ISO), `loupe_version`, `format`, `columns`,
`predicate` (the `where` string or null), `ids_given` (number of distinct ids
passed, or null), `shard_rows`, `files` ([{path (relative, "/"-separated,
`removed/...` for the complement), rows, bytes}], data files only),
`kept` and `removed` ({documents, tokens}: the sum of the `tokens` column),
`labels` (current label counts, name -> value -> count), `workspace`
({path, lance_version, labels_version, model, dimension}), `include_removed`,
`budget` (the token budget that chose the ids, or null), `recipe` ("recipe.yaml", or
null when no recipe can hold this curation, e.g. a score whose classifier was
deleted; then `recipe_problem` says why), `recipe_hash` (`recipes.recipe_hash`).
With `budget`, the ids were chosen by that token budget among `where` (given with
`ids`, they are checked against it; without `ids`, the budget chooses them), and the
recipe holds the budget rather than the ids, so it re-chooses on any corpus.
The export reads `docs` at one version (`lance_version`) and the labels at one
version (`labels_version`): the rows a label predicate selects and the `labels`
counts come from the same snapshot, whatever other sessions label meanwhile.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from indexing import __version__
from indexing.errors import NotIndexedError, SettingError
from indexing.exports.folder import (  # noqa: F401 (STALE_AFTER_S, remove_stale_temporaries: part of this API)
    MANIFEST, MARKER, STALE_AFTER_S, check_name, default_name, remove_stale_temporaries,
)
from indexing.exports.export_recipe import write_export_recipe
from indexing.exports.formats import FORMATS, open_writer
from indexing.progress import Quiet, Reporter
from indexing.recipes.recipe import Budget
from indexing.vectors.preview import is_preview
from indexing.workspace.atomic import swap_folder
from indexing.workspace.store import DOCS, LABELS, Store

MANIFEST_VERSION = 1
# Columns of `docs` that are Loupe's plumbing, not part of a curated corpus.
INTERNAL_COLUMNS = frozenset({"vector", "_source", "_ordinal", "_line", "x", "y", "placed"})
REMOVED_DIR = "removed"
BATCH_ROWS = 4096


@dataclass
class ExportResult:
    """The folder written, its manifest, and the documents kept and removed."""

    path: Path
    manifest: dict
    kept: int
    removed: int


def _columns(schema: pa.Schema, columns: Sequence[str] | None) -> list[str]:
    available = schema.names
    if columns is None:
        return [n for n in available if n not in INTERNAL_COLUMNS]
    if isinstance(columns, str):
        raise SettingError(f"columns must be a list of names, not the string {columns!r}")
    columns = list(columns)
    if not columns:
        raise SettingError("columns is empty; leave it out for the default columns")
    unknown = [c for c in columns if c not in available]
    if unknown:
        raise SettingError(f"unknown column(s) {', '.join(map(repr, unknown))}; "
                         f"available columns: {', '.join(available)}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise SettingError(f"column(s) given twice: {', '.join(repeated)}")
    return columns


class _StoreAt(Store):
    """A workspace's store whose `docs` and `labels` tables read at fixed versions, so
    that every read of one export sees the same rows and the same labels, whatever
    other sessions write meanwhile (a checked-out LanceDB table is read-only)."""

    def __init__(self, store: Store, versions: dict[str, int]):
        self.__dict__.update(store.__dict__)
        self.versions = versions

    def table(self, name: str):
        table = super().table(name)
        if name in self.versions:
            table.checkout(self.versions[name])
        return table


def _at_versions(workspace, docs_version: int):
    """A view of `workspace` at `docs_version` of docs and the current version of the
    labels: the selection by label and the manifest's label counts both read it."""
    versions = {DOCS: docs_version}
    labels_version = workspace.labels.version()
    if labels_version:
        versions[LABELS] = labels_version
    snapshot = copy.copy(workspace)
    snapshot.store = _StoreAt(workspace.store, versions)
    return snapshot


def _kept_ids(workspace, where: str | None, ids: Sequence[str] | None) -> list[str]:
    from indexing.curate.selection import select_ids

    try:
        return select_ids(workspace, where=where, ids=ids)
    except ValueError:  # SelectionError names the predicate and the available columns
        raise
    except Exception as error:  # anything else a bad predicate may provoke, as a ValueError
        if where is None:
            raise
        raise SettingError(f"cannot export with the predicate {where!r}: {error}") from error


def _budget_ids(workspace, where: str | None, ids: Sequence[str] | None,
                budget: Budget | None) -> tuple[Sequence[str] | None, Budget | None]:
    """The ids `budget` chooses among `where` (when `ids` is None), or `ids` and whether
    the budget really chose them: when it no longer does (labels or scores changed since),
    the ids stay an explicit selection and the budget is dropped from the recipe."""
    if budget is None:
        return ids, None
    if not isinstance(budget, Budget):
        raise SettingError(f"budget must be an indexing.recipes.Budget, not {budget!r}")
    from indexing.curate.budget import select_budget

    chosen = select_budget(workspace, budget.tokens, where=where, order_by=budget.order_by,
                           descending=budget.descending, balance_by=budget.balance_by,
                           max_share=budget.max_share, seed=budget.seed).ids
    if ids is None:
        return chosen, budget
    return ids, budget if set(chosen) == set(ids) else None


def export(
    workspace,
    name: str | None = None,
    *,
    where: str | None = None,
    ids: Sequence[str] | None = None,
    format: str = "jsonl",
    columns: Sequence[str] | None = None,
    shard_rows: int | None = None,
    include_removed: bool = False,
    out: str | Path | None = None,
    progress: Reporter | None = None,
    budget: Budget | None = None,
) -> ExportResult:
    """Write the documents selected by `where` and `ids` to a new export folder.

    `where` is a SQL predicate over `docs` columns and current-label columns; `ids`
    an explicit id list (both: the intersection; neither: every document).
    `format` is "jsonl", "parquet" or "hf" (`datasets.Dataset.save_to_disk`).
    `columns` defaults to every `docs` column but Loupe's internal ones (vector,
    _source, _ordinal, _line, x, y). `shard_rows` caps the rows per file.
    `include_removed` also writes the complement under `removed/`. The folder is
    `out`, or WORKSPACE/exports/<name> (name default: export-<UTC time>).
    `budget` (`indexing.recipes.Budget`): the ids are the ones this token budget
    chooses among `where` (chosen here when `ids` is None); the folder's recipe then
    holds the budget instead of the ids.

    Bad arguments (format, columns, predicate, name, shard_rows) raise ValueError
    before anything is written; an existing target raises FileExistsError. The
    folder appears whole or not at all (see the module docstring); leftovers of
    killed exports in the same parent are removed once an hour old.
    """
    progress = progress or Quiet()
    # ---- everything that can be wrong is checked before anything is written
    if format not in FORMATS:
        raise SettingError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    if shard_rows is not None and (isinstance(shard_rows, bool) or not isinstance(shard_rows, int) or shard_rows < 1):
        raise SettingError(f"shard_rows must be a positive integer or None, not {shard_rows!r}")
    if isinstance(ids, str):
        raise SettingError("ids must be a list of ids, not a single string")
    store = workspace.store
    if not store.has("docs"):
        raise NotIndexedError(workspace.root)
    dataset = store.table("docs").to_lance()  # one version for the whole export
    schema = dataset.schema
    wanted = _columns(schema, columns)
    if name is not None:
        check_name(name)
    if out is not None:
        target = Path(out)
        name = name or target.name
    else:
        exports = Path(workspace.root) / "exports"
        name = name or default_name(exports)
        target = exports / name
    if target.exists() or target.is_symlink():
        raise FileExistsError(f"{target} already exists; an export never overwrites another")
    snapshot = _at_versions(workspace, dataset.version)  # selection and manifest agree
    ids, budget = _budget_ids(snapshot, where, ids, budget)
    kept_ids = None if where is None and ids is None else _kept_ids(snapshot, where, ids)
    labels = snapshot.labels.counts()
    labels_version = snapshot.store.versions.get(LABELS, 0)
    total = dataset.count_rows()

    # ---- write into a temporary folder next to the target
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(parent)
    temporary = parent / f".{target.name}.tmp-{secrets.token_hex(8)}"
    temporary.mkdir()
    try:
        (temporary / MARKER).write_text(f"pid {os.getpid()}\n", encoding="utf-8")
        has_tokens = "tokens" in schema.names
        scan = list(dict.fromkeys([*wanted, "id"] + (["tokens"] if has_tokens else [])))
        out_schema = pa.schema([schema.field(c) for c in wanted])
        scratch = temporary / ".scratch"  # "hf" stages its rows here (not in the dataset's own folder)
        if format == "hf":
            scratch.mkdir()
        kept_sink = open_writer(format, temporary, "", out_schema, shard_rows, scratch / "kept.arrow")
        removed_sink = (open_writer(format, temporary / REMOVED_DIR, f"{REMOVED_DIR}/", out_schema, shard_rows,
                              scratch / "removed.arrow") if include_removed else None)
        value_set = None if kept_ids is None else pa.array(list(kept_ids), pa.string())
        sums = {"kept": [0, 0], "removed": [0, 0]}  # documents, tokens
        sinks = [s for s in (kept_sink, removed_sink) if s is not None]
        try:
            with progress.stage("export", total) as advance:
                for batch in dataset.to_batches(columns=scan, batch_size=BATCH_ROWS):
                    if value_set is None:
                        mask = pa.array([True] * batch.num_rows, pa.bool_())
                    else:
                        mask = pc.fill_null(pc.is_in(batch.column("id"), value_set=value_set), False)
                    for side, keep, sink in (("kept", mask, kept_sink), ("removed", pc.invert(mask), removed_sink)):
                        # counts come from the mask and `tokens` alone; only written rows are copied
                        sums[side][0] += int(pc.sum(pc.cast(keep, pa.int64())).as_py() or 0)
                        if has_tokens:
                            sums[side][1] += int(pc.sum(batch.column("tokens").filter(keep)).as_py() or 0)
                        if sink is not None:
                            sink.write(batch.select(wanted).filter(keep))
                    advance(batch.num_rows)
            files = kept_sink.close()
            if removed_sink is not None:
                files += removed_sink.close()
            if scratch.exists():
                shutil.rmtree(scratch)
        except BaseException:
            for sink in sinks:
                try:
                    sink.abort()
                except Exception:
                    pass
            raise
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "name": name,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "loupe_version": __version__,
            "format": format,
            "columns": wanted,
            "predicate": where,
            "ids_given": None if ids is None else len(set(ids)),
            "shard_rows": shard_rows,
            "files": files,
            "kept": {"documents": sums["kept"][0], "tokens": sums["kept"][1] if has_tokens else None},
            "removed": {"documents": sums["removed"][0], "tokens": sums["removed"][1] if has_tokens else None},
            "labels": labels,
            "workspace": {
                "path": str(Path(workspace.root).resolve()),
                "lance_version": dataset.version,
                "labels_version": labels_version,
                "model": workspace.state.model,
                "dimension": workspace.state.dimension,
            },
            # "preview": chosen by vectors of a static model distilled from the model (loupe index --preview)
            "embeddings": "preview" if is_preview(workspace.state.model) else "full",
            "include_removed": include_removed,
        }
        manifest["budget"] = asdict(budget) if budget is not None else None
        manifest.update(write_export_recipe(snapshot, temporary, where=where, ids=ids, budget=budget, format=format,
                                            columns=None if columns is None else wanted, shard_rows=shard_rows,
                                            name=name))
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        (temporary / MARKER).unlink()
        try:
            swap_folder(temporary, target)
        except FileExistsError as error:
            raise FileExistsError(f"{target} appeared while exporting; an export never overwrites another") \
                from error
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return ExportResult(target, manifest, manifest["kept"]["documents"], manifest["removed"]["documents"])
