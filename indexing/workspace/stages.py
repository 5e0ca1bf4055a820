"""Which stage ran over which rows: recording a stage in `workspace.json`, and deciding
whether one is done. Every stage records through `record_stages` (the build's pipeline,
`loupe signals`, `loupe dedup`), so each entry has the same shape and no run loses what
another process recorded meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timezone

from indexing.workspace.manifest import WorkspaceState
from indexing.workspace.sql import quote_identifier

# Every stage of the build, in order. ingest, signals and embed run as one pass; refresh
# brings the columns computed from the whole corpus (score_*, dup_*) to new rows.
STAGES = ("ingest", "signals", "embed", "text_index", "faiss", "project", "cluster", "refresh")


def now() -> str:
    """The time a stage entry carries: UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stage_entry(rows: int, seconds: float, at: str | None = None, **extra) -> dict:
    """What one run of a stage covered: its rows, its seconds, when, and what else it says."""
    return {"rows": rows, "seconds": round(seconds, 3), "at": at or now(), **extra}


def record_stages(workspace, entries: dict[str, dict]) -> None:
    """Record `entries` (stage name -> `stage_entry`) in workspace.json, re-read from disk so
    that nothing another process recorded meanwhile is lost, and in `workspace.state`.
    The caller holds the writer lock."""
    state = WorkspaceState.load(workspace.root)
    state.stages.update(entries)
    state.save(workspace.root)
    workspace.state.stages.update(entries)


def stage_done(workspace, stage: str, rows: int) -> bool:
    """Whether `stage`'s last run covered the `rows` stored now (see `_refreshed`)."""
    if stage == "refresh" and stage not in workspace.state.stages:
        return _refreshed(workspace, rows)
    return workspace.state.stage_done(stage, rows)


def _refreshed(workspace, rows: int) -> bool:
    """A workspace.json written before `refresh` was a stage has no entry for it. It
    counts as refreshed when nothing is left to refresh: every saved classifier's
    `score_<name>` exists without a null, and the last dedup (if any) covered every
    row, so existing workspaces still open as ready; otherwise it is pending."""
    from indexing.curate.classifiers.model import column_name
    from indexing.curate.classifiers.storage import list_classifiers

    dedup = workspace.state.stages.get("dedup")
    if dedup and dedup.get("rows") != rows:
        return False
    store = workspace.store
    schema = store.docs_schema()
    columns = [column_name(name) for name in list_classifiers(workspace.root)]
    if any(schema is None or c not in schema.names for c in columns):
        return False
    return all(store.count(f"{quote_identifier(c)} IS NULL") == 0 for c in columns)
