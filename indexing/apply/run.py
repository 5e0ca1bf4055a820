"""`loupe apply`: a recipe streamed over any number of documents, in two passes.

    pass 1   read -> validate -> signals -> [embed -> classifiers, map] -> labels -> steps
             that need nothing global; one task per chunk, each written and recorded (resumable)
    between  global dedup (over every document read) -> the dedup steps -> the token budget
    pass 2   the kept documents in shards, the removed ones with their reason, manifest.json

Memory is one chunk plus, between the passes, a few numbers per document in
memory-mapped arrays (and, for MinHash or semantic dedup, their signatures or vectors);
the dedup and id tables are on disk. A killed run resumes at its first unrecorded task;
its output equals an uninterrupted run's, because tasks are the same chunks in the same
order and every global step runs after the last of them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from indexing import __version__
from indexing.apply.decide import FAILED, decide
from indexing.apply.dedup import rank_column, resolve
from indexing.apply.output import finish, is_finished, local_outputs, output_schema, write
from indexing.apply.reading import chunks, plan
from indexing.apply.scoring import EXACT_COLUMN, Scorer
from indexing.apply.steps import IDS_REASON, IDS_STEP, CompiledStep, compile_steps, first_failing
from indexing.apply.work import LOWEST, WORK, SeenIds, Task, WorkFolder
from indexing.errors import RecipeError
from indexing.progress import Quiet, Reporter
from indexing.recipes.files import copy_recipe, read_recipe, recipe_hash

MANIFEST_VERSION = 1


@dataclass
class ApplyResult:
    out: Path | None  # None for a dry run
    manifest: dict
    kept: int
    removed: int


def _check_model(recipe, embedder, path: Path) -> None:
    if embedder.dimension != recipe.model.dimension or embedder.fingerprint != recipe.model.fingerprint:
        raise RecipeError(
            f"{path}: the recipe was made with {recipe.model.name} ({recipe.model.dimension}-d, "
            f"{recipe.model.fingerprint[:19]}...), but the model loaded gives {embedder.dimension}-d vectors with "
            f"weights {embedder.fingerprint[:19]}...; its tokens and scores would differ. Install that model")


def _finished_alike(out: Path, path: Path, sources: list[str], options: dict) -> dict | None:
    """The manifest of a finished run of OUT made by this very recipe, sources and options."""
    if not is_finished(out):
        return None
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (manifest.get("kind") == "apply" and manifest.get("options") == options
            and manifest.get("recipe", {}).get("hash") == recipe_hash(path)
            and [s.get("path") for s in manifest.get("sources", [])] == sources)
    return manifest if same else None


def _check_out(out: Path) -> None:
    if is_finished(out):
        raise RecipeError(f"{out} already holds a finished run (manifest.json); choose another --out")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / WORK).is_dir())):
        raise RecipeError(f"{out} exists and is not an unfinished `loupe apply` output; choose another --out")


def _steps(recipe, table: pa.Table, path: Path) -> list[CompiledStep]:
    schema = table.schema
    if recipe.dedup is not None:
        schema = schema.append(pa.field("dup_group", pa.int64())).append(pa.field("dup_keep", pa.bool_()))
    labels = recipe.labels.names if recipe.labels else []
    steps = compile_steps(recipe.filter, schema, labels, str(path))
    if recipe.ids is not None:
        steps.insert(0, CompiledStep(IDS_STEP, (IDS_STEP,), False, IDS_REASON))
    return steps


def apply_recipe(
    recipe_path: str | Path,
    sources: Sequence[str | Path],
    out: str | Path | None,
    *,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
    dry_run: bool = False,
    chunk_size: int | None = None,
    device: str = "auto",
    embedder=None,
    progress: Reporter | None = None,
    engine: str = "local",
    address: str | None = None,
) -> ApplyResult:
    """Apply the recipe at `recipe_path` to `sources`, writing OUT (see the module docstring).

    `limit` takes the first N records (over the sources in order), `sample` N at random
    (fixed by `seed`); `dry_run` counts what would be kept and removed, writing nothing.
    `chunk_size`: good records per chunk (default 1,024, as `loupe index`; the workspace's
    own, for vectors identical to its). A run of OUT that was killed is resumed by the same call
    (with either engine); once finished, the same call returns its manifest and does nothing.
    `engine`: "local" (this process) or "ray" (pass 1's scoring on a Ray cluster: `address`
    None starts a local one, "auto" or "ray://..." attaches; indexing.engines)."""
    progress = progress or Quiet()
    path = Path(recipe_path)
    recipe = read_recipe(path)
    if not sources:
        raise RecipeError("no sources given; name the files or folders to apply the recipe to")
    if out is None and not dry_run:
        raise RecipeError("no output folder given (--out)")
    started = time.perf_counter()
    scratch = None
    if dry_run:
        scratch = Path(tempfile.mkdtemp(prefix="loupe-dry-run-"))
        out = scratch / "out"
    out = Path(out)
    options = {"limit": limit, "sample": sample, "seed": seed, "chunk_size": chunk_size}
    done = _finished_alike(out, path, [str(s) for s in sources], options)
    if done is not None:  # the same command again after it finished: nothing to do but tidy up
        shutil.rmtree(out / WORK, ignore_errors=True)  # a run killed after its manifest, while cleaning up
        return ApplyResult(out, done, done["kept"]["documents"], done["removed"]["documents"])
    _check_out(out)
    from indexing.engines import check_engine

    check_engine(engine)
    try:
        return _run(recipe, path, [str(s) for s in sources], out, limit, sample, seed, dry_run, chunk_size, device,
                    embedder, progress, started, engine, address)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _run(recipe, path, sources, out, limit, sample, seed, dry_run, chunk_size, device, embedder, progress, started,
         engine, address):
    if embedder is None:
        from indexing.vectors.embedder import load_embedder

        embedder = load_embedder(recipe.model.name, device)
    _check_model(recipe, embedder, path)
    planned = plan(sources, recipe.reading, limit, sample, seed)
    out.mkdir(parents=True, exist_ok=True)
    work = WorkFolder(out)
    options = {"limit": limit, "sample": sample, "seed": seed, "chunk_size": chunk_size}
    try:
        work.check_settings({"recipe": recipe_hash(path), "limit": limit, "sample": sample, "seed": seed,
                             "chunk_size": chunk_size,
                             "sources": [{"path": p.source.path, "fingerprint": p.source.fingerprint()}
                                         for p in planned]})
        with _executor(engine, address, device) as executor:
            executor.pass_one(work, recipe, path, planned, embedder, chunk_size, progress)
            tasks = work.tasks()
            steps = _compiled(work, recipe, path, tasks)
            groups = keep = None
            if recipe.dedup is not None:
                groups, keep = resolve(work, tasks, recipe.dedup, progress)
            decisions = decide(work, tasks, steps, recipe.budget, groups, keep, progress)
            manifest = _manifest(recipe, path, planned, work, tasks, decisions, out, options, started)
            manifest["engine"] = {"name": engine, "address": address}  # not an option: either engine resumes a run
            if dry_run:
                return ApplyResult(None, manifest, decisions.kept_documents, int(decisions.documents.sum()))
            labels = recipe.labels.names if recipe.labels else []
            schema = output_schema(work, tasks, recipe.output, recipe.dedup is not None, labels)
            files = write(work, tasks, steps, decisions, groups, keep, recipe.output, schema, progress,
                          executor.outputs)
        manifest.update(format=recipe.output.format, columns=schema.names, shard_rows=recipe.output.shard_rows,
                        files=files)
        copy_recipe(path, out / "recipe.yaml", overwrite=True)  # OUT says how it was made
        manifest["seconds"] = round(time.perf_counter() - started, 3)
        finish(work, manifest)
    finally:
        work.close()
    shutil.rmtree(out / WORK, ignore_errors=True)
    return ApplyResult(out, manifest, decisions.kept_documents, int(decisions.documents.sum()))


class _Local:
    """The local engine: both passes in this process."""

    def __enter__(self) -> "_Local":
        return self

    def __exit__(self, *error) -> None:
        return None

    def pass_one(self, *args) -> None:
        _pass_one(*args)

    outputs = staticmethod(local_outputs)


def _executor(engine: str, address: str | None, device: str):
    if engine == "ray":
        from indexing.engines.ray_apply import RayApply

        return RayApply(address, device)
    return _Local()


@dataclass
class PassOne:
    """Where pass 1 starts: the tasks done, where each source resumes, the scorer (field names
    and types as the done tasks fixed them), the next `_pos` and the records left to read."""

    resume: dict
    scorer: Scorer
    position: int
    total: int


def start_pass_one(work: WorkFolder, recipe, path: Path, planned, embedder) -> PassOne:
    done = work.tasks()
    resume = {}
    for task in done:
        resume[task.source] = (task.chunk + 1, task.next_ordinal, task.last)
    fields = json.loads(work.get("fields") or "null") or dict(recipe.reading.fields)
    scorer = Scorer.load(recipe, path, embedder, fields)
    for task in done:  # the column types earlier tasks fixed, as ingest's `known`
        if task.rows:
            scorer.known.update({f.name: f.type for f in pq.read_schema(work.scored_path(task.name))
                                 if not f.name.startswith("_")})
    total = sum(p.selected() for p in planned) - sum(t.records for t in done)
    return PassOne(resume, scorer, sum(t.rows for t in done), max(total, 0))


def finish_scored(recipe, path: Path, table: pa.Table, steps: list[CompiledStep] | None):
    """A scored chunk's early-step verdict (FAILED) and its exact-dedup keys, with the steps
    (compiled from the run's first chunk when None): (table, steps, exact rows or None)."""
    steps = steps or _steps(recipe, table, path)
    early = [i for i, s in enumerate(steps) if not s.after_dedup]
    table = table.append_column(FAILED, pa.array(first_failing(table, steps, early), pa.int16()))
    exact = None
    if recipe.dedup is not None and recipe.dedup.method == "exact" and table.num_rows:
        rank = rank_column(recipe.dedup)
        ranks = ([LOWEST] * table.num_rows if rank is None else
                 [LOWEST if v is None or v != v else float(v) for v in table[rank].to_pylist()])
        positions = table["_pos"].to_pylist()
        exact = list(zip(table[EXACT_COLUMN].to_pylist(), positions, positions, ranks))
    return table, steps, exact


def task_of(chunk, position: int) -> Task:
    return Task(chunk.name, chunk.source, chunk.number, position, len(chunk.rows), chunk.next_ordinal, chunk.last,
                chunk.records)


def _pass_one(work: WorkFolder, recipe, path: Path, planned, embedder, chunk_size, progress: Reporter) -> None:
    """Every task not recorded yet: scored, its early steps evaluated, written and recorded."""
    start = start_pass_one(work, recipe, path, planned, embedder)
    scorer, position, steps, seen = start.scorer, start.position, None, SeenIds(work)
    with progress.stage("apply", start.total) as advance:
        for chunk in chunks(planned, recipe.reading, start.resume, seen, advance, chunk_size):
            source = planned[chunk.source].source
            table, steps, exact = finish_scored(recipe, path, scorer.score(chunk.rows, position, source.key), steps)
            if chunk.rows:
                work.write_scored(chunk.name, table)
            ids, wheres = seen.take()
            work.put("fields", json.dumps(scorer.names.fields))
            work.commit_task(task_of(chunk, position), ids, wheres, exact, chunk.rejections)
            seen.committed(ids)
            position += len(chunk.rows)


def _compiled(work: WorkFolder, recipe, path: Path, tasks) -> list[CompiledStep]:
    """The steps compiled against what the tasks wrote (a resumed run compiles them again)."""
    schemas = [pq.read_schema(work.scored_path(t.name)) for t in tasks if t.rows]
    schema = pa.unify_schemas(schemas, promote_options="permissive") if schemas else pa.schema(
        [(c, pa.string()) for c in ("id", "text", "_pos")])
    return _steps(recipe, schema.empty_table(), path)


def _manifest(recipe, path, planned, work, tasks, decisions, out, options: dict, started) -> dict:
    rejected = Counter(reason for _, _, reason, _ in work.rejections())
    removed = {name: {"documents": int(d), "tokens": int(t)}
               for name, d, t in zip(decisions.reasons, decisions.documents, decisions.tokens) if d}
    return {
        "manifest_version": MANIFEST_VERSION,
        "kind": "apply",
        "name": out.name,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "loupe_version": __version__,
        "recipe": {"path": str(path.resolve()), "hash": recipe_hash(path), "copy": "recipe.yaml"},
        "model": {"name": recipe.model.name, "fingerprint": recipe.model.fingerprint},
        "sources": [{"path": p.source.path, "records": p.total, "taken": p.selected()} for p in planned],
        "options": options,
        "read": {"records": sum(t.records for t in tasks), "documents": sum(t.rows for t in tasks),
                 "rejected": dict(rejected.most_common())},
        "kept": {"documents": decisions.kept_documents, "tokens": decisions.kept_tokens},
        "removed": {"documents": int(decisions.documents.sum()), "tokens": int(decisions.tokens.sum()),
                    "by_reason": removed},
        "dedup": None if recipe.dedup is None else {
            "method": recipe.dedup.method, "threshold": recipe.dedup.threshold, "keep": recipe.dedup.keep},
        "budget": decisions.budget,
        "seconds": round(time.perf_counter() - started, 3),
    }
