"""kill -9 at a random moment of a command, then check the invariants and re-run it.

One `Lab` per folder: it writes two small corpora of real text (the standard library's
docstrings, with planted duplicates), builds the template workspaces the commands start
from (the "hash:32" test embedder), measures each command's uninterrupted run (its
duration and its result, the reference) and then runs trials:

    lab = Lab(tmp_path)
    result = lab.trial("dedup", seed=3)   # TrialResult: killed mid-run?, problems, recovery time

A trial copies the command's template, starts the command in a child (forked from a
preloaded forkserver, in its own process group), sends SIGKILL to that group after a
delay drawn from the seed within the measured duration, checks the workspace
(`invariants`), runs the command again to completion and compares the result with the
reference. `tests/faults` runs a few seeds of every command; `benchmarks/faults.py` many.

Commands (`SCENARIOS`): `index` (a new workspace), `refresh` (`index` adding rows to a
workspace with a saved classifier and a dedup run: the refresh rescores and re-dedups),
`signals`, `train`, `dedup`, `export` (all through the `loupe` CLI) and `label` (a loop of
`labels.add`, as the app's buttons call it, each action reported once it returned).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import invariants as inv

AUTHOR = "faults"
LABEL_ACTIONS = 80  # more than Labels.compact_after, so the loop compacts once
CHUNK = "32"  # rows per LanceDB commit while ingesting: several commits to land between


@dataclass(frozen=True)
class Scenario:
    name: str
    template: str  # "fresh", "labelled" or "trained"
    argv: tuple[str, ...] = ()  # the `loupe` command; "{ws}" and "{lab}" are filled in
    label_loop: bool = False


SCENARIOS = {
    s.name: s for s in (
        Scenario("index", "fresh", ("index", "{lab}/a.jsonl", "-w", "{ws}", "-q", "--chunk-size", CHUNK)),
        Scenario("refresh", "trained", ("index", "{lab}/b.jsonl", "-w", "{ws}", "-q", "--chunk-size", CHUNK)),
        Scenario("signals", "labelled", ("signals", "-w", "{ws}", "-q")),
        Scenario("train", "labelled", ("train", "-w", "{ws}", "--name", "quality", "-q")),
        Scenario("dedup", "labelled", ("dedup", "-w", "{ws}", "--method", "minhash", "-q")),
        Scenario("export", "labelled", ("export", "-w", "{ws}", "--out", "{ws}/exports/cut", "--where",
                                        "quality != 'bad'", "--format", "parquet", "--shard-rows", "40",
                                        "--include-removed")),
        Scenario("label", "labelled", label_loop=True),
    )
}


# ---- the child processes ------------------------------------------------------

_context = None


def _forkserver():
    """A forkserver that has imported Loupe once (`tests.faults.child`)."""
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["tests.faults.child"])
    return _context


@dataclass
class Run:
    returncode: int | None  # None: killed
    seconds: float  # from the child's start (after its imports) to its end or the kill
    killed: bool  # the SIGKILL found the child still running
    log: str


def run_child(target: str, args: tuple, log: Path, kill_after: float | None = None,
              timeout: float = 600) -> Run:
    """Run `tests.faults.child.<target>(*args, log, ready)`; with `kill_after`, SIGKILL its
    process group that many seconds after it started, unless it ended first."""
    from . import child

    context = _forkserver()
    ready = context.Event()
    process = context.Process(target=getattr(child, target), args=(*args, str(log), ready))
    process.start()
    if not ready.wait(120):
        process.kill()
        raise RuntimeError(f"the {target} child did not start")
    started = time.perf_counter()
    process.join(timeout if kill_after is None else kill_after)
    killed = False
    if process.exitcode is None:
        if kill_after is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.join()
            raise TimeoutError(f"{target} {args} ran over {timeout} s")
        try:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
        except ProcessLookupError:  # it ended between the check and the kill
            pass
        process.join()
    seconds = time.perf_counter() - started
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return Run(None if killed else process.exitcode, seconds, killed, text)


def reported_actions(log: str) -> dict[int, str]:
    """index -> action id of every `committed` line of a label child's log."""
    found = {}
    for line in log.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "committed":
            found[int(parts[1])] = parts[2]
    return found


# ---- the lab ----------------------------------------------------------------------


def corpora(n_a: int = 228, n_b: int = 56, planted: tuple[int, int] = (12, 4)) -> tuple[list[dict], list[dict]]:
    """Two corpora of real text (standard-library docstrings), each with a few exact
    copies of texts of the first under new ids, so dedup has groups to find."""
    from indexing.demo_corpus import stdlib_documents

    rows = [r for r in stdlib_documents(900, seed=3) if r["kind"] != "function_source"]
    a, b = rows[:n_a], rows[n_a:n_a + n_b]
    a += [{**a[i * 7], "id": f"copy-a-{i}"} for i in range(planted[0])]
    b += [{**a[i * 11 + 3], "id": f"copy-b-{i}"} for i in range(planted[1])]
    return a, b


def label_plan(ids: list[str], n: int = LABEL_ACTIONS) -> list[tuple[list[str], str | None]]:
    """`n` label actions over `ids`: 1 to 12 documents each, overlapping, good/bad/cleared,
    so the final labels depend on every action and its order."""
    rng = random.Random(11)
    plan = []
    for i in range(n):
        size = rng.randint(1, 12)
        start = rng.randrange(len(ids))
        chosen = [ids[(start + k * 3) % len(ids)] for k in range(size)]
        plan.append((chosen, None if i % 9 == 8 else ("good" if rng.random() < 0.6 else "bad")))
    return plan


def build_template(root: Path, kind: str) -> None:
    """Build template `kind` under ROOT/templates/<kind>/ws (see `Lab.template`)."""
    from indexing import Workspace

    root = Path(root)
    path = root / "templates" / kind / "ws"
    if kind == "fresh":
        Workspace.create(path, model="hash:32", id_field="id")
    elif kind == "labelled":
        workspace = Workspace.create(path, model="hash:32", id_field="id")
        workspace.index([str(root / "a.jsonl")])
        docs = workspace.docs(columns=["id", "kind"]).to_pylist()
        good = [d["id"] for d in docs if d["kind"] == "function_doc"][:15]
        bad = [d["id"] for d in docs if d["kind"] != "function_doc"][:15]
        workspace.labels.add(good, "quality", "good", author="seed")
        workspace.labels.add(bad, "quality", "bad", author="seed")
    else:
        from indexing.curate.classifiers import train
        from indexing.curate.dedup import dedup

        shutil.copytree(root / "templates" / "labelled" / "ws", path)
        workspace = Workspace.open(path)
        train(workspace, "quality")
        dedup(workspace, "minhash")


@dataclass
class Reference:
    seconds: float
    result: inv.Snapshot


@dataclass
class TrialResult:
    command: str
    seed: int
    delay: float
    killed: bool  # the kill landed while the command was running
    problems: list[str] = field(default_factory=list)
    recovery_seconds: float = 0.0


class Lab:
    """Corpora, template workspaces and uninterrupted references under one folder."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._templates: dict[str, Path] = {}
        self._references: dict[str, Reference] = {}
        self._before: dict[str, inv.Snapshot] = {}
        self._plan = None

    # ---- templates

    def _corpora(self) -> None:
        if not (self.root / "b.jsonl").exists():
            for name, rows in zip(("a", "b"), corpora()):
                (self.root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows),
                                                          encoding="utf-8")

    def template(self, kind: str) -> Path:
        """The workspace a command starts from: "fresh" (created, empty), "labelled"
        (corpus a indexed, 30 quality labels) or "trained" (labelled + a saved classifier
        `quality` + a minhash dedup run). Built in a forkserver child, whose UMAP is
        already compiled, and reused once built whole."""
        if kind in self._templates:
            return self._templates[kind]
        if kind not in ("fresh", "labelled", "trained"):
            raise ValueError(f"unknown template {kind!r}")
        self._corpora()
        path = self.root / "templates" / kind / "ws"
        built = path.parent / "built"
        if not built.exists():
            if kind == "trained":
                self.template("labelled")
            if path.parent.exists():
                shutil.rmtree(path.parent)
            path.parent.mkdir(parents=True)
            done = run_child("build_template", (str(self.root), kind), path.parent / "build.log")
            if done.returncode != 0:
                raise RuntimeError(f"building the {kind} template failed:\n{done.log[-3000:]}")
            built.touch()
        self._templates[kind] = path
        return path

    def before(self, kind: str) -> inv.Snapshot:
        if kind not in self._before:
            self._before[kind] = inv.snapshot(self.template(kind))
        return self._before[kind]

    def plan(self) -> list[tuple[list[str], str | None]]:
        if self._plan is None:
            self._plan = label_plan(sorted(self.before("labelled").ids))
        return self._plan

    # ---- running a command

    def _copy(self, kind: str, name: str) -> Path:
        folder = self.root / "runs" / name
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(self.template(kind), folder / "ws")
        return folder / "ws"

    def run(self, scenario: Scenario, ws: Path, log: Path, kill_after: float | None = None) -> Run:
        if scenario.label_loop:
            return run_child("run_labels", (str(ws), self.plan()), log, kill_after)
        argv = [a.replace("{ws}", str(ws)).replace("{lab}", str(self.root)) for a in scenario.argv]
        return run_child("run_cli", (argv,), log, kill_after)

    def reference(self, command: str) -> Reference:
        """The command run uninterrupted on a copy of its template: duration and result."""
        if command not in self._references:
            scenario = SCENARIOS[command]
            ws = self._copy(scenario.template, f"{command}-reference")
            done = self.run(scenario, ws, ws.parent / "run.log")
            if done.returncode != 0:
                raise RuntimeError(f"the uninterrupted {command} failed (rc {done.returncode}):\n{done.log[-3000:]}")
            self._references[command] = Reference(done.seconds, inv.snapshot(ws))
        return self._references[command]

    # ---- one trial

    def _needs_rerun(self, scenario: Scenario, ws: Path) -> bool:
        """An export whose folder exists is complete (checked): nothing to redo."""
        return not (scenario.name == "export" and (ws / "exports" / "cut").exists())

    def _check(self, scenario: Scenario, ws: Path, log: str) -> list[str]:
        workspace, problems = inv.open_workspace(ws)
        if workspace is None:
            return problems
        before, reference = self.before(scenario.template), self.reference(scenario.name).result
        problems += inv.rows_intact(workspace, set(before.ids), set(reference.ids))
        if scenario.label_loop:
            problems += inv.labels_whole(workspace, self.plan(), reported_actions(log), AUTHOR)
        else:
            problems += inv.labels_unchanged(workspace, before.labels)
        problems += inv.exports_complete(ws / "exports")
        return problems

    def trial(self, command: str, seed: int) -> TrialResult:
        scenario = SCENARIOS[command]
        reference = self.reference(command)
        delay = random.Random(f"{command}:{seed}").uniform(0.0, reference.seconds)
        ws = self._copy(scenario.template, f"{command}-{seed}")
        killed = self.run(scenario, ws, ws.parent / "killed.log", kill_after=delay)
        result = TrialResult(command, seed, delay, killed.killed)
        if not killed.killed and killed.returncode != 0:
            result.problems.append(f"the command failed before the kill (rc {killed.returncode}): "
                                   f"{killed.log[-2000:]}")
        result.problems += [f"after the kill: {p}" for p in self._check(scenario, ws, killed.log)]
        if self._needs_rerun(scenario, ws):
            again = self.run(scenario, ws, ws.parent / "rerun.log")
            result.recovery_seconds = again.seconds
            if again.returncode != 0:
                result.problems.append(f"the re-run failed (rc {again.returncode}): {again.log[-2000:]}")
            result.problems += [f"after the re-run: {p}" for p in self._check(scenario, ws, again.log)]
        try:
            result.problems += [f"re-run vs uninterrupted: {p}"
                                for p in inv.same_result(inv.snapshot(ws), reference.result)]
        except Exception as error:  # noqa: BLE001 - a workspace that cannot be read is the finding
            result.problems.append(f"the result cannot be read: {type(error).__name__}: {error}")
        return result
