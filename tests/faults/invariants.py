"""What must hold after a kill -9, written once for `tests/faults` and `benchmarks/faults.py`.

Each check returns a list of problems (empty: it holds), so a test asserts the list is
empty and the benchmark counts the failures. The promises are SQLite's and LanceDB's
about committed data:

- the workspace opens (and `info()` answers);
- no duplicate or missing row: ids are unique, no row the command started with is
  gone, none appears that an uninterrupted run would not make;
- no label lost or half-written: every action the child reported committed is in
  the labels table whole (all its events, one action id), and no action is partial;
- no partial export visible: a folder under its final name holds a manifest whose
  files exist with the rows and bytes it states;
- a re-run completes and leaves what an uninterrupted run leaves (`same_result`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

# Columns that are not part of a command's result: the vector, and the map (UMAP and
# k-means are seeded, but the map is a picture, not a curation decision).
NOT_COMPARED = frozenset({"vector", "x", "y", "cluster", "placed"})


@dataclass
class Snapshot:
    """What a command leaves in a workspace, in a form two runs can be compared by."""

    ids: list[str]
    columns: dict[str, list] = field(default_factory=dict)  # by sorted id
    labels: dict[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, name) -> current value
    ready: bool = False
    exports: dict[str, dict] = field(default_factory=dict)  # folder name -> what its manifest says


def open_workspace(path: Path):
    """(workspace, problems): the workspace and its `info()`, or why they fail."""
    from indexing import Workspace

    try:
        workspace = Workspace.open(path)
        workspace.info()
    except Exception as error:  # noqa: BLE001 - any failure to open is the finding
        return None, [f"the workspace does not open: {type(error).__name__}: {error}"]
    return workspace, []


def doc_ids(workspace) -> list[str]:
    if not workspace.store.has("docs"):
        return []
    return workspace.docs(columns=["id"])["id"].to_pylist()


def rows_intact(workspace, required: set[str], allowed: set[str]) -> list[str]:
    """Ids unique; every `required` id present; none outside `allowed`."""
    ids = doc_ids(workspace)
    problems = []
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    if repeated:
        problems.append(f"{len(repeated)} duplicate id(s), e.g. {repeated[:3]}")
    present = set(ids)
    missing = required - present
    if missing:
        problems.append(f"{len(missing)} row(s) missing, e.g. {sorted(missing)[:3]}")
    extra = present - allowed
    if extra:
        problems.append(f"{len(extra)} row(s) an uninterrupted run does not make, e.g. {sorted(extra)[:3]}")
    return problems


def current_labels(workspace) -> dict[tuple[str, str], str]:
    current = workspace.labels.current()
    return dict(zip(zip(current["doc_id"].to_pylist(), current["name"].to_pylist()), current["value"].to_pylist()))


def labels_unchanged(workspace, before: dict[tuple[str, str], str]) -> list[str]:
    """A command that does not label leaves every current label as it was."""
    now = current_labels(workspace)
    if now == before:
        return []
    lost = [k for k in before if now.get(k) != before[k]]
    return [f"{len(lost)} label(s) lost or changed, e.g. {lost[:3]}; {len(now) - len(before)} more or fewer"]


def labels_whole(workspace, plan: list[tuple[list[str], str | None]], reported: dict[int, str],
                 author: str = "faults") -> list[str]:
    """Every reported action whole; every action of `author` in the table is one planned
    action whole (its ids, its value, one event each); nothing partial."""
    events = workspace.labels._events()
    events = events.filter(pc.equal(events["author"], author))
    by_action: dict[str, list[dict]] = {}
    for row in events.select(["doc_id", "value", "action"]).to_pylist():
        by_action.setdefault(row["action"], []).append(row)
    planned = {(frozenset(ids), value) for ids, value in plan}
    problems = []
    for index, action in sorted(reported.items()):
        ids, value = plan[index]
        got = by_action.get(action, [])
        if sorted(r["doc_id"] for r in got) != sorted(ids) or any(r["value"] != value for r in got):
            problems.append(f"action {index} ({action}) reported committed but holds {len(got)} of "
                            f"{len(ids)} events")
    for action, rows in by_action.items():
        ids = [r["doc_id"] for r in rows]
        values = {r["value"] for r in rows}
        if len(ids) != len(set(ids)) or len(values) != 1 or (frozenset(ids), values.pop()) not in planned:
            problems.append(f"action {action} is partial or unknown: {len(rows)} event(s)")
    return problems


def _file_rows(path: Path, format: str) -> int:
    if format == "jsonl":
        with open(path, "rb") as handle:
            return sum(1 for _ in handle)
    if format == "parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(str(path)).num_rows
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_stream(source).read_all().num_rows


def export_problems(folder: Path) -> list[str]:
    """A visible export folder is complete: its manifest lists every data file, with the
    rows and bytes each holds, and the kept/removed counts are the sums of those rows."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return [f"{folder.name}: visible without a manifest (a partial export)"]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as error:
        return [f"{folder.name}: manifest unreadable: {error}"]
    problems, sums = [], {"kept": 0, "removed": 0}
    listed = set()
    for entry in manifest["files"]:
        path = folder / entry["path"]
        listed.add(entry["path"])
        if not path.is_file():
            problems.append(f"{folder.name}: {entry['path']} listed but missing")
            continue
        if path.stat().st_size != entry["bytes"]:
            problems.append(f"{folder.name}: {entry['path']} holds {path.stat().st_size} bytes, not {entry['bytes']}")
        rows = _file_rows(path, manifest["format"])
        if rows != entry["rows"]:
            problems.append(f"{folder.name}: {entry['path']} holds {rows} rows, not {entry['rows']}")
        sums["removed" if entry["path"].startswith("removed/") else "kept"] += rows
    for side in ("kept", "removed"):
        if manifest["include_removed"] or side == "kept":
            if sums[side] != manifest[side]["documents"]:
                problems.append(f"{folder.name}: {side} files hold {sums[side]} rows, manifest says "
                                f"{manifest[side]['documents']}")
    if manifest.get("recipe"):  # the recipe inside is the one the manifest hashed
        from indexing.recipes import recipe_hash

        if recipe_hash(folder / manifest["recipe"]) != manifest["recipe_hash"]:
            problems.append(f"{folder.name}: {manifest['recipe']} or its assets differ from the manifest's recipe_hash")
    if manifest["format"] != "hf":
        unlisted = [p.relative_to(folder).as_posix() for p in folder.rglob("part-*")]
        unlisted = [p for p in unlisted if p not in listed]
        if unlisted:
            problems.append(f"{folder.name}: data files not in the manifest: {unlisted[:3]}")
    return problems


def exports_complete(parent: Path) -> list[str]:
    """No partial export visible in `parent` (temporary `.name.tmp-*` folders are hidden)."""
    if not parent.is_dir():
        return []
    problems = []
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith("."):
            problems += export_problems(entry)
    return problems


def _exports(parent: Path) -> dict[str, dict]:
    found = {}
    if parent.is_dir():
        for entry in sorted(parent.iterdir()):
            if entry.name.startswith(".") or not (entry / "manifest.json").is_file():
                continue
            manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
            found[entry.name] = {
                "kept": manifest["kept"], "removed": manifest["removed"], "labels": manifest["labels"],
                "files": [(f["path"], f["rows"]) for f in manifest["files"]],
            }
    return found


def snapshot(path: Path) -> Snapshot:
    """The result of the commands run on the workspace at `path`."""
    from indexing import Workspace

    workspace = Workspace.open(path)
    if not workspace.store.has("docs"):
        return Snapshot([], labels=current_labels(workspace), exports=_exports(Path(path) / "exports"))
    table = workspace.docs()
    table = table.select([c for c in table.column_names if c not in NOT_COMPARED]).sort_by("id")
    columns = {name: table[name].to_pylist() for name in table.column_names}
    return Snapshot(columns["id"], columns, current_labels(workspace), workspace.info()["ready"],
                    _exports(Path(path) / "exports"))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def same_result(got: Snapshot, reference: Snapshot) -> list[str]:
    """A re-run leaves what an uninterrupted run leaves: ids, every compared column
    (signals, rules, score_*, dup_*, source fields), current labels, readiness, exports."""
    problems = []
    if got.ids != reference.ids:
        missing, extra = set(reference.ids) - set(got.ids), set(got.ids) - set(reference.ids)
        problems.append(f"ids differ: {len(missing)} missing, {len(extra)} extra, "
                        f"{len(got.ids) - len(set(got.ids))} duplicated")
    else:
        for name in sorted(set(got.columns) | set(reference.columns)):
            if name not in got.columns or name not in reference.columns:
                problems.append(f"column {name} only in the {'re-run' if name in got.columns else 'reference'}")
                continue
            differ = [i for i, (a, b) in enumerate(zip(got.columns[name], reference.columns[name])) if not _same(a, b)]
            if differ:
                first = differ[0]
                problems.append(f"column {name}: {len(differ)} value(s) differ, e.g. {got.ids[first]}: "
                                f"{got.columns[name][first]!r} != {reference.columns[name][first]!r}")
    if got.labels != reference.labels:
        problems.append(f"current labels differ ({len(got.labels)} vs {len(reference.labels)})")
    if got.ready != reference.ready:
        problems.append(f"info()['ready'] is {got.ready}, an uninterrupted run leaves {reference.ready}")
    if not _same(got.exports, reference.exports):
        problems.append(f"exports differ: {got.exports} != {reference.exports}")
    return problems
