"""The work folder of one `loupe apply` run: `OUT/.work/`, what makes a killed run resumable.

    .work/state.sqlite      tasks done, ids met, exact-dedup keys, rejected records, run settings
    .work/scored/<task>.parquet   every column of a task's documents (pass 1), written atomically
    .work/arrays/*.npy      per-document arrays of the global steps (memory-mapped, on disk)
    .work/output/           pass 2's files, moved into OUT when complete

A task is one chunk of one source (as `loupe index` chunks it). Its scored file is renamed
into place first, then ONE SQLite transaction records the task with everything it adds to
the on-disk state (its ids, its dedup keys, its rejections): a kill before the commit
leaves the task undone, and redoing it rewrites the file and commits once. The dedup and
id tables live in SQLite, on disk, so a corpus of any size holds only a page cache in
memory, never a Python dict of every document.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from indexing.errors import RecipeError
from indexing.ingest.records import Rejection
from indexing.workspace.atomic import fsync

WORK = ".work"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (name TEXT PRIMARY KEY, source INTEGER, chunk INTEGER, first_pos INTEGER,
                                  rows INTEGER, next_ordinal INTEGER, last INTEGER, records INTEGER);
CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exact (key BLOB PRIMARY KEY, first INTEGER, n INTEGER, best INTEGER, rank REAL);
CREATE TABLE IF NOT EXISTS rejected (task TEXT, file TEXT, line INTEGER, reason TEXT, detail TEXT);
"""
LOWEST = -1.0e308  # a missing rank: below every real one (as NaN ranks last in the workspace's dedup)


@dataclass(frozen=True)
class Task:
    """One chunk of one source, as recorded once done."""

    name: str
    source: int
    chunk: int
    first_pos: int
    rows: int
    next_ordinal: int
    last: bool
    records: int


def write_scored_file(final: Path, table: pa.Table) -> None:
    """A task's columns, renamed into place whole (a kill leaves no half file under the name);
    a worker of another engine writes them too, on storage the driver sees."""
    temporary = final.with_name(f".{final.name}.tmp")
    pq.write_table(table, temporary)
    fsync(temporary)
    os.replace(temporary, final)


class WorkFolder:
    def __init__(self, out: Path):
        self.out = Path(out)
        self.root = self.out / WORK
        (self.root / "scored").mkdir(parents=True, exist_ok=True)
        (self.root / "arrays").mkdir(exist_ok=True)
        self.db = sqlite3.connect(self.root / "state.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- settings: a resumed run must be the same run --------------------------

    def check_settings(self, settings: dict) -> None:
        """Record the run's settings, or refuse to resume a run made with others."""
        text = json.dumps(settings, sort_keys=True)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('settings', ?)", (text,))
        elif row[0] != text:
            before = json.loads(row[0])
            changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
            raise RecipeError(f"{self.out} holds an unfinished run with other settings ({', '.join(changed)}); "
                              f"run it again as it was to finish it, or choose another --out")

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---- tasks --------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        rows = self.db.execute("SELECT name, source, chunk, first_pos, rows, next_ordinal, last, records "
                               "FROM tasks ORDER BY first_pos, source, chunk").fetchall()
        return [Task(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    def scored_path(self, name: str) -> Path:
        return self.root / "scored" / f"{name}.parquet"

    def write_scored(self, name: str, table: pa.Table) -> None:
        write_scored_file(self.scored_path(name), table)

    def commit_task(self, task: Task, ids: list[str] | None, wheres: list[str] | None, exact: list[tuple] | None,
                    rejections: list[Rejection]) -> None:
        """Everything the task adds to the state, and the task itself, in one transaction."""
        db = self.db
        db.execute("BEGIN")
        try:
            if ids:
                db.executemany("INSERT OR IGNORE INTO ids VALUES (?, ?)", zip(ids, wheres))
            if exact:
                db.executemany(
                    "INSERT INTO exact VALUES (?, ?, 1, ?, ?) ON CONFLICT(key) DO UPDATE SET n = n + 1, "
                    "best = CASE WHEN excluded.rank > rank THEN excluded.best ELSE best END, "
                    "rank = MAX(rank, excluded.rank)", exact)
            db.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?, ?)",
                           [(task.name, r.file, r.line, r.reason, r.detail) for r in rejections])
            db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (task.name, task.source, task.chunk, task.first_pos, task.rows, task.next_ordinal,
                        int(task.last), task.records))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # ---- what the tasks recorded ----------------------------------------------------

    def seen(self, doc_id: str) -> str | None:
        row = self.db.execute("SELECT at FROM ids WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else row[0]

    def rejections(self) -> list[tuple[str, int, str, str]]:
        return self.db.execute("SELECT file, line, reason, detail FROM rejected ORDER BY rowid").fetchall()

    def exact_lookup(self, keys: list[bytes]) -> dict[bytes, tuple[int, int, int]]:
        """key -> (first position, members, kept position) for the keys of a batch."""
        found: dict[bytes, tuple[int, int, int]] = {}
        for start in range(0, len(keys), 30_000):
            part = list(dict.fromkeys(keys[start:start + 30_000]))
            marks = ",".join("?" * len(part))
            for key, first, n, best in self.db.execute(
                    f"SELECT key, first, n, best FROM exact WHERE key IN ({marks})", part):
                found[key] = (first, n, best)
        return found

    def array_path(self, name: str) -> Path:
        return self.root / "arrays" / f"{name}.npy"

    def output_dir(self) -> Path:
        return self.root / "output"


class SeenIds:
    """The ids met so far, for `ingest.validate`: this run's on disk, this task's in memory."""

    def __init__(self, work: WorkFolder):
        self.work = work
        self.new: dict[str, str] = {}
        self.pending: dict[str, str] = {}  # taken by tasks still in flight (an engine that runs ahead)

    def get(self, doc_id: str) -> str | None:
        return self.new.get(doc_id) or self.pending.get(doc_id) or self.work.seen(doc_id)

    def committed(self, ids: list[str]) -> None:
        """Ids of a task now recorded on disk: no longer held in memory."""
        for doc_id in ids:
            self.pending.pop(doc_id, None)

    def __setitem__(self, doc_id: str, where: str) -> None:
        self.new[doc_id] = where

    def take(self) -> tuple[list[str], list[str]]:
        """The ids of the task (and where each was), to commit with it."""
        ids, wheres = list(self.new), list(self.new.values())
        self.pending.update(self.new)
        self.new = {}
        return ids, wheres
