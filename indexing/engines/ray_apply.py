"""`loupe apply` on Ray: pass 1's scoring in an actor pool, pass 2's shards made by tasks.

The driver reads and validates in order (ids against the run's SQLite table and the chunks
in flight, field names and column types: `Scorer.frame`), and sends each chunk's frame to
an actor that holds the recipe's Scorer (its model, classifiers and map, loaded once;
one GPU per actor where the cluster has GPUs). The actor computes the rest
(`Scorer.enrich`: signals, tokens, labels, vectors, scores, dedup keys; `finish_scored`:
the early steps' verdict) and writes `OUT/.work/scored/<task>.parquet` itself (OUT must be
on storage every node sees). The driver records the tasks in SQLite in chunk order as
they finish, so a rerun with either engine resumes at the first unrecorded task, as the
local engine's does. The run's first chunk goes alone: its table fixes the compiled steps
every later chunk uses, as in the local loop.

Between the passes the global dedup and the budget run on the driver, as today (they need
every document). In pass 2 Ray tasks make each task's kept and removed tables (read, join
dedup, filter, reason values) and the driver writes them into the shards in task order,
so shard boundaries and contents are the local engine's.
"""

from __future__ import annotations

import json
import time
from collections import deque
from pathlib import Path

import numpy as np

from indexing.apply.output import prepare_task
from indexing.apply.reading import chunks
from indexing.apply.run import finish_scored, start_pass_one, task_of
from indexing.apply.work import SeenIds, WorkFolder, write_scored_file
from indexing.engines.ray_session import TASK_CPUS, ray_session, window, worker_shape
from indexing.progress import Reporter


class ScoreWorker:
    """A Ray actor's state: the recipe's Scorer with its model, loaded once."""

    def __init__(self, recipe_path: str, model: str, device: str):
        from indexing.apply.scoring import Scorer
        from indexing.recipes.files import read_recipe
        from indexing.vectors.embedder import load_embedder

        self.path = Path(recipe_path)
        self.recipe = read_recipe(self.path)
        self.scorer = Scorer.load(self.recipe, self.path, load_embedder(model, device), {})

    def score(self, frame: dict, scored: str, steps):
        started = time.perf_counter()
        table, steps, exact = finish_scored(self.recipe, self.path, self.scorer.enrich(frame), steps)
        if table.num_rows:
            write_scored_file(Path(scored), table)
        return steps, exact, time.perf_counter() - started

    def prepare(self, *args):
        """Pass 2's tables of one task (`prepare_task`), in the process that scored."""
        return prepare_task(*args)


class RayApply:
    """The Ray engine of one `loupe apply` run: one Ray session for both passes."""

    def __init__(self, address: str | None = None, device: str = "auto"):
        self.address, self.device = address, device
        self._session = None

    def __enter__(self) -> "RayApply":
        self._session = ray_session(self.address)
        self.ray = self._session.__enter__()
        self.count, self.resources = worker_shape(self.ray, self.device)
        self.actors = []
        return self

    def __exit__(self, *error) -> None:
        try:
            for handle in self.actors:
                self.ray.kill(handle)
        finally:
            self._session.__exit__(*error)

    def pass_one(self, work: WorkFolder, recipe, path: Path, planned, embedder, chunk_size,
                 progress: Reporter) -> None:
        """Every task not recorded yet, scored on Ray and recorded here in order."""
        ray, count = self.ray, self.count
        start = start_pass_one(work, recipe, path, planned, embedder)
        scorer, position, seen = start.scorer, start.position, SeenIds(work)
        actor = ray.remote(**self.resources)(ScoreWorker)
        actors = self.actors = [actor.remote(str(Path(path).resolve()), embedder.name, self.device)
                                for _ in range(count)]
        steps, flight, limit = None, deque(), window(count)

        def record(item) -> None:
            nonlocal steps
            chunk, first, ids, wheres, fields, pending = item
            steps, exact, _ = ray.get(pending)
            work.put("fields", fields)
            work.commit_task(task_of(chunk, first), ids, wheres, exact, chunk.rejections)
            seen.committed(ids)

        with progress.stage("apply", start.total) as advance:
            for number, chunk in enumerate(chunks(planned, recipe.reading, start.resume, seen, advance, chunk_size)):
                frame = scorer.frame(chunk.rows, position, planned[chunk.source].source.key)
                ids, wheres = seen.take()
                pending = actors[number % count].score.remote(frame, str(work.scored_path(chunk.name)), steps)
                flight.append((chunk, position, ids, wheres, json.dumps(scorer.names.fields), pending))
                position += len(chunk.rows)
                while flight and len(flight) > (0 if steps is None else limit):
                    record(flight.popleft())
            while flight:
                record(flight.popleft())

    def outputs(self, work: WorkFolder, tasks, steps, decisions, groups, keep, schema, removed: bool):
        """Each task's (kept, removed) tables made by the actors of pass 1 (or, when pass 1 had
        nothing left to do, by Ray tasks), yielded in task order."""
        ray = self.ray
        prepares = [a.prepare.remote for a in self.actors] or [ray.remote(num_cpus=TASK_CPUS)(prepare_task).remote]
        steps_ref, schema_ref = ray.put(steps), ray.put(schema)
        flight: deque = deque()
        for number, task in enumerate(tasks):
            span = slice(task.first_pos, task.first_pos + task.rows)
            flight.append(prepares[number % len(prepares)](
                work.scored_path(task.name), task.first_pos,
                None if groups is None else np.asarray(groups[span]), None if keep is None else np.asarray(keep[span]),
                np.asarray(decisions.reason[span]), steps_ref, decisions.reasons, schema_ref, removed))
            while len(flight) > window(self.count):
                yield ray.get(flight.popleft())
        while flight:
            yield ray.get(flight.popleft())
