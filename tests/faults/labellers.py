"""Processes that label one workspace at the same time (issue 8, section 2.3).

    python -m tests.faults.labellers app WS DOC N OUT     # an app session: N clicks, AppTest
    python -m tests.faults.labellers cli WS IDS N OUT     # `loupe label` N times (typer runner)

Each waits for WS/../go before its first action (so all start together, after their
imports), and writes OUT (JSON): the actions it made, the errors it saw (exceptions,
tracebacks, error elements of the app) and its seconds.

An app session is Streamlit's AppTest of the real app: it opens document DOC in the
reader and clicks its `quality` buttons, good and bad in turn, N times; every click is
one `labels.add` made in the button's callback, exactly as in a browser. The CLI
labeller runs the real `loupe label` command in-process (typer's CliRunner), N times,
on 1 to 3 of the ids in IDS (a file), each run one action whose id it prints.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

APP = str(Path(__file__).parents[2] / "app" / "streamlit_app.py")
ACTION = re.compile(r"\(action ([0-9a-f]{32})\)")


def _wait_for_go(workspace: Path, out: Path) -> None:
    Path(f"{out}.ready").touch()
    deadline = time.time() + 600
    while not (workspace.parent / "go").exists():
        if time.time() > deadline:
            raise TimeoutError("no go")
        time.sleep(0.02)


def _app_errors(app) -> list[str]:
    errors = [f"exception: {e.message} {getattr(e, 'stack_trace', '')}"[:2000] for e in app.exception]
    return errors + [f"error element: {e.value}"[:2000] for e in app.error]


def app_session(workspace: Path, doc: str, n: int, out: Path) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["LOUPE_WORKSPACE"] = str(workspace)
    app = AppTest.from_file(APP, default_timeout=300)
    app.run()
    app.text_input(key="open_id").input(doc).run()
    errors = _app_errors(app)
    _wait_for_go(workspace, out)
    started = time.perf_counter()
    clicks = []
    for i in range(n):
        value = "good" if i % 2 == 0 else "bad"
        try:
            app.button(key=f"reader_{doc}_quality_{value}").click().run()
        except Exception:  # noqa: BLE001 - AppTest itself failing is an error too
            errors.append(traceback.format_exc()[-2000:])
            break
        clicks.append(value)
        errors += _app_errors(app)
    return {"doc": doc, "clicks": clicks, "errors": errors, "seconds": time.perf_counter() - started}


def cli_labeller(workspace: Path, ids_file: Path, n: int, out: Path) -> dict:
    from typer.testing import CliRunner

    from app.cli import cli

    ids = ids_file.read_text(encoding="utf-8").split()
    runner = CliRunner()
    _wait_for_go(workspace, out)
    started = time.perf_counter()
    actions, errors = [], []
    for i in range(n):
        chosen = [ids[(i + k * 5) % len(ids)] for k in range(1 + i % 3)]
        value = ("good", "bad", "meh")[i % 3]
        one = Path(f"{out}.ids")
        one.write_text("\n".join(chosen) + "\n", encoding="utf-8")
        result = runner.invoke(cli, ["label", "-w", str(workspace), "--name", "quality", "--value", value,
                                     "--ids-file", str(one), "--author", "cli"])
        text = result.output  # stdout and stderr together (click 8.2+)
        found = ACTION.search(text)
        if result.exit_code != 0 or result.exception is not None or "Traceback" in text or not found:
            detail = "".join(traceback.format_exception(result.exception)) if result.exception else ""
            errors.append(f"exit {result.exit_code}: {text[-1000:]} {detail[-1500:]}")
            continue
        actions.append({"action": found.group(1), "ids": chosen, "value": value})
    return {"actions": actions, "errors": errors, "seconds": time.perf_counter() - started}


def run_together(workspace: Path, clicks_per_app: int, cli_actions: int, apps: int = 2) -> dict:
    """`apps` app sessions and one CLI labeller on `workspace` at once; then what the
    labels table holds. Returns {"actions", "seconds", "errors", "lost"}: every error any
    process saw, and every action it made that the table lacks (whole: all its events)."""
    import subprocess

    from indexing import Workspace

    workspace = Path(workspace)
    folder = workspace.parent / "labellers"
    folder.mkdir(exist_ok=True)
    (workspace.parent / "go").unlink(missing_ok=True)
    ids = sorted(Workspace.open(workspace).docs(columns=["id"])["id"].to_pylist())
    docs, cli_ids = ids[:apps], ids[apps:apps + 40]
    (folder / "cli-ids.txt").write_text("\n".join(cli_ids) + "\n", encoding="utf-8")
    jobs = [("app", doc, clicks_per_app, folder / f"app-{i}.json") for i, doc in enumerate(docs)]
    jobs.append(("cli", str(folder / "cli-ids.txt"), cli_actions, folder / "cli.json"))
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    processes = [subprocess.Popen([sys.executable, "-m", "tests.faults.labellers", kind, str(workspace), what,
                                   str(n), str(out)], cwd=root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for kind, what, n, out in jobs]
    deadline = time.time() + 600
    while not all(Path(f"{out}.ready").exists() or p.poll() is not None for (*_, out), p in zip(jobs, processes)):
        if time.time() > deadline:
            break
        time.sleep(0.05)
    started = time.perf_counter()
    (workspace.parent / "go").touch()
    outputs = [p.communicate(timeout=1200)[0].decode(errors="replace") for p in processes]
    seconds = time.perf_counter() - started

    errors, lost, actions = [], [], 0
    labels = Workspace.open(workspace).labels
    events = labels._events().to_pylist()
    for (kind, what, n, out), process, output in zip(jobs, processes, outputs):
        if process.returncode != 0 or not out.exists():
            errors.append(f"{kind} process ended with {process.returncode}: {output[-2000:]}")
            continue
        result = json.loads(out.read_text(encoding="utf-8"))
        errors += [f"{kind} {what}: {e}" for e in result["errors"]]
        if "Traceback" in output:
            errors.append(f"{kind} {what} printed a traceback: {output[-2000:]}")
        if kind == "app":
            stored = [e for e in events if e["doc_id"] == what and e["author"] not in ("cli", "seed")]
            actions += len(result["clicks"])
            if sorted(e["value"] for e in stored) != sorted(result["clicks"]) \
                    or len({e["action"] for e in stored}) != len(stored):
                lost.append(f"app session on {what}: {len(result['clicks'])} clicks, {len(stored)} events stored")
        else:
            by_action: dict[str, list[dict]] = {}
            for event in events:
                by_action.setdefault(event["action"], []).append(event)
            actions += len(result["actions"])
            for made in result["actions"]:
                stored = by_action.get(made["action"], [])
                if sorted(e["doc_id"] for e in stored) != sorted(made["ids"]) \
                        or any(e["value"] != made["value"] for e in stored):
                    lost.append(f"cli action {made['action']}: {len(made['ids'])} ids, {len(stored)} events stored")
    return {"actions": actions, "seconds": seconds, "errors": errors, "lost": lost}


def main(argv: list[str]) -> None:
    kind, workspace, what, n, out = argv
    out = Path(out)
    try:
        if kind == "app":
            result = app_session(Path(workspace), what, int(n), out)
        else:
            result = cli_labeller(Path(workspace), Path(what), int(n), out)
    except BaseException:  # noqa: BLE001 - reported, not raised: the parent reads OUT
        result = {"errors": [traceback.format_exc()[-3000:]], "clicks": [], "actions": []}
    out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
