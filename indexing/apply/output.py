"""Pass 2 of `loupe apply`: the kept documents in shards, the removed ones with their reason.

Files are written into the work folder and moved into OUT only when all are complete;
`manifest.json` is written last, so its presence means the run finished. A run killed in
this pass writes it again from the start (pass 1 and the decisions are kept).

Removed documents carry two more columns: `reason` (the step that removed them, as
written in the recipe, or `duplicates`' step, or "budget") and `reason_value` (the values
of the columns that step read, `tokens=12`), the exclusion writer of DataTrove.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexing.apply.decide import Decisions, with_dedup
from indexing.apply.steps import CompiledStep, reason_values
from indexing.apply.work import WorkFolder
from indexing.exports.folder import MANIFEST
from indexing.exports.formats import open_writer
from indexing.progress import Reporter
from indexing.recipes.recipe import Output
from indexing.workspace.atomic import atomic_write_text, fsync

REMOVED_DIR = "removed"
REJECTED = "rejected.jsonl"
HIDDEN = frozenset({"vector", "x", "y", "placed"})  # with the `_` columns: not part of a curated corpus


def output_schema(work: WorkFolder, tasks, output: Output, dedup: bool, labels: list[str]) -> pa.Schema:
    """The output's columns: those asked for, or every column but Loupe's plumbing and labels."""
    schemas = [pq.read_schema(work.scored_path(t.name)) for t in tasks if t.rows]
    if not schemas:
        return pa.schema([("id", pa.string()), ("text", pa.string())])
    merged = pa.unify_schemas(schemas, promote_options="permissive")
    fields = list(merged)
    if dedup:
        fields += [pa.field("dup_group", pa.int64()), pa.field("dup_keep", pa.bool_())]
    by_name = {f.name: f for f in fields}
    if output.columns is not None:
        missing = [c for c in output.columns if c not in by_name]
        if missing:
            from indexing.errors import RecipeError

            raise RecipeError(f"output column(s) {', '.join(missing)} are not made by this run; "
                              f"columns: {', '.join(n for n in by_name if not n.startswith('_'))}")
        return pa.schema([by_name[c] for c in output.columns])
    return pa.schema([f for f in fields if not f.name.startswith("_") and f.name not in HIDDEN
                      and f.name not in labels])


def _aligned(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = [table[f.name].cast(f.type) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _write(sink, table: pa.Table) -> None:
    for batch in table.combine_chunks().to_batches():
        sink.write(batch)


def task_output(table: pa.Table, codes: np.ndarray, steps: list[CompiledStep], reasons: list[str],
                schema: pa.Schema, removed: bool) -> tuple[pa.Table, pa.Table | None]:
    """One task's kept rows and (when `removed`) its removed rows with reason and reason_value,
    in the output's columns; `codes` are its documents' decisions (negative: kept)."""
    kept = codes < 0
    gone_batch = None
    if removed and (~kept).any():
        gone = table.filter(pa.array(~kept))
        gone_codes = codes[~kept]
        values = [""] * gone.num_rows
        for code in np.unique(gone_codes).tolist():
            if code < len(steps):
                rows = np.flatnonzero(gone_codes == code)
                shown = reason_values(gone.take(pa.array(rows)), steps[code])
                for row, text in zip(rows.tolist(), shown):
                    values[row] = text
        gone_batch = _aligned(gone, schema)
        gone_batch = gone_batch.append_column("reason", pa.array([reasons[c] for c in gone_codes.tolist()],
                                                                 pa.string()))
        gone_batch = gone_batch.append_column("reason_value", pa.array(values, pa.string()))
    return _aligned(table.filter(pa.array(kept)), schema), gone_batch


def prepare_task(path: Path, first: int, groups, keep, codes: np.ndarray, steps: list[CompiledStep],
                 reasons: list[str], schema: pa.Schema, removed: bool) -> tuple[pa.Table, pa.Table | None]:
    """`task_output` of the task scored at `path` whose documents start at `_pos` `first`; the
    arrays are the task's own slices (any worker that sees OUT can do it)."""
    table = with_dedup(pq.read_table(path), groups, keep, first)
    return task_output(table, codes, steps, reasons, schema, removed)


def local_outputs(work: WorkFolder, tasks, steps, decisions: Decisions, groups, keep, schema: pa.Schema,
                  removed: bool):
    """Each task's (kept, removed) tables, in task order, made here."""
    for task in tasks:
        table = with_dedup(pq.read_table(work.scored_path(task.name)), groups, keep)
        codes = np.asarray(decisions.reason[table["_pos"].to_numpy()])
        yield task_output(table, codes, steps, decisions.reasons, schema, removed)


def write(work: WorkFolder, tasks, steps: list[CompiledStep], decisions: Decisions, groups, keep, output: Output,
          schema: pa.Schema, progress: Reporter, outputs=local_outputs) -> list[dict]:
    """Every kept and removed document into OUT/.work/output; returns the files made. The
    shards are written here in task order; `outputs` makes each task's tables (here, or on
    an engine's workers: indexing.engines.ray_apply)."""
    folder = work.output_dir()
    shutil.rmtree(folder, ignore_errors=True)
    scratch = work.root / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    removed_schema = schema.append(pa.field("reason", pa.string())).append(pa.field("reason_value", pa.string()))
    kept_sink = open_writer(output.format, folder, "", schema, output.shard_rows, scratch / "kept.arrow")
    removed_sink = (open_writer(output.format, folder / REMOVED_DIR, f"{REMOVED_DIR}/", removed_schema,
                                output.shard_rows, scratch / "removed.arrow") if output.removed else None)
    written = [t for t in tasks if t.rows]
    try:
        with progress.stage("write", sum(t.rows for t in tasks)) as advance:
            made = outputs(work, written, steps, decisions, groups, keep, schema, removed_sink is not None)
            for task, (kept, gone) in zip(written, made):
                _write(kept_sink, kept)
                if gone is not None:
                    _write(removed_sink, gone)
                advance(task.rows)
        files = kept_sink.close()
        if removed_sink is not None:
            files += removed_sink.close()
    except BaseException:
        for sink in (kept_sink, removed_sink):
            if sink is not None:
                try:
                    sink.abort()
                except Exception:
                    pass
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    return files


def finish(work: WorkFolder, manifest: dict) -> None:
    """Move the finished files into OUT, write the rejections and, last, the manifest."""
    out = work.out
    for old in [*out.glob("part-*"), *out.glob("data-*"), out / REMOVED_DIR, out / "dataset_info.json",
                out / "state.json"]:
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    folder = work.output_dir()
    for item in sorted(folder.iterdir()) if folder.exists() else []:
        os.replace(item, out / item.name)
    with open(out / REJECTED, "w", encoding="utf-8") as stream:
        for file, line, reason, detail in work.rejections():
            stream.write(json.dumps({"file": file, "line": line, "reason": reason, "detail": detail},
                                    ensure_ascii=False) + "\n")
    fsync(out / REJECTED)
    fsync(out)
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def is_finished(out: Path) -> bool:
    return (Path(out) / MANIFEST).is_file()
