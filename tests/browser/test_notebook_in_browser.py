"""`ws.explore()` in a real JupyterLab, driven in Debian's Chromium: a notebook opens the
shared real workspace (the real model, LanceDB, FAISS), shows the map widget, a box is
dragged on it with the mouse, and the next cell prints `explorer.selection`, which must be
what the engine selects for the printed predicate, and can be labelled from Python."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import nbformat
import pytest

from indexing import Workspace
from tests.browser.conftest import SCREENSHOTS, _free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
CELLS = [
    "from indexing import Workspace\nws = Workspace.open({root!r})\nexplorer = ws.explore(colour_by='kind')\nexplorer",
    "import json\nprint('SELECTED ' + json.dumps({{'ids': explorer.selection.ids, 'predicate': explorer.selection.predicate}}))",
    "explorer.label('checked', 'yes')\nprint('LABELLED', ws.labels.counts()['checked'])",
]


@contextmanager
def jupyter_lab(folder: Path, log: Path) -> Iterator[str]:
    """JupyterLab serving `folder`, with its settings, workspaces and runtime files there too
    (nothing of the user's), no update, news or extension-index lookup (`--allow-root`: CI runs
    as root in a container); yields the address of the notebook with its token."""
    port, token = _free_port(), secrets.token_hex(16)
    news = folder / ".lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # no "get notified about Jupyter news?" prompt
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                        "JUPYTERLAB_SETTINGS_DIR": str(folder / ".lab-settings"),
                        "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".lab-workspaces"),
                        "JUPYTER_RUNTIME_DIR": str(folder / ".runtime")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--allow-root",
               "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
                                   start_new_session=True)
    address = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{address}/api/status?token={token}", log, "jupyter lab", 120,
                       lambda reply: reply.status == 200, pause=0.5)
    try:
        yield f"{address}/lab/tree/explore.ipynb?token={token}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _execute(tab, index: int):
    """Run cell `index` as a person does (click into it, Shift+Enter) until its prompt shows it
    ran or is queued (a keypress before the kernel's session is connected is dropped)."""
    cell = tab.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputPrompt")
    for _ in range(10):
        accept = tab.locator(".jp-Dialog .jp-mod-accept")  # "Select Kernel" (shown now and then): Python 3
        if accept.count():
            accept.first.click()
        before = prompt.inner_text().strip()
        cell.locator(".jp-InputArea-editor").click()
        tab.keyboard.press("Shift+Enter")
        try:
            tab.wait_for_function("([el, before]) => el.innerText.trim() !== before && el.innerText.trim() !== '[ ]:'",
                                  arg=[prompt.element_handle(), before], timeout=10_000)
            return cell
        except Exception:  # playwright's TimeoutError: press again
            continue
    pytest.fail(f"cell {index} never ran:\n{cell.inner_text()}")


def _run_cell(tab, index: int, expect: str, timeout_ms: int = 120_000) -> str:
    """Run cell `index` and return its output once it holds `expect`."""
    cell = _execute(tab, index)
    output = cell.locator(".jp-OutputArea-output").filter(has_text=expect)
    output.first.wait_for(timeout=timeout_ms)
    return output.first.inner_text()


def test_a_box_dragged_on_the_notebook_map_is_readable_and_labelled_in_python(workspace, browser, tmp_path, request):
    copy = tmp_path / "ws"
    shutil.copytree(workspace.root, copy)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source.format(root=str(copy))) for source in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "explore.ipynb")

    with jupyter_lab(tmp_path, tmp_path / "lab.log") as address:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        try:
            tab.goto(address)
            tab.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            tab.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
            first = _execute(tab, 0)
            plot = first.locator(".js-plotly-plot")
            plot.locator(".modebar-btn[data-title='Box Select']").wait_for(state="attached", timeout=180_000)
            plot.locator("canvas").first.wait_for(state="attached", timeout=60_000)
            plot.hover()
            plot.locator(".modebar-btn[data-title='Box Select']").click()
            area = plot.locator(".nsewdrag").first.bounding_box()
            start = (area["x"] + area["width"] * 0.2, area["y"] + area["height"] * 0.2)
            end = (area["x"] + area["width"] * 0.8, area["y"] + area["height"] * 0.8)
            tab.mouse.move(*start)
            tab.mouse.down()
            tab.mouse.move(*end, steps=12)
            tab.mouse.up()
            plot.locator(".selectionlayer path, .select-outline").first.wait_for(state="attached", timeout=10_000)

            selected = {"ids": []}
            for _ in range(5):  # the selection message may reach the kernel just after the keypress
                text = _run_cell(tab, 1, "SELECTED")
                selected = json.loads(text.split("SELECTED ", 1)[1].strip().splitlines()[0])
                if selected["ids"]:
                    break
                time.sleep(1)
            ws = Workspace.open(copy)
            assert 0 < len(selected["ids"]) < ws.count(), selected
            assert "`x` >=" in selected["predicate"] and ws.select(selected["predicate"]) == selected["ids"]

            labelled = _run_cell(tab, 2, "LABELLED")
            assert f"'yes': {len(selected['ids'])}" in labelled
            assert ws.select("checked = 'yes'") == selected["ids"]
        finally:
            SCREENSHOTS.mkdir(exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
            context.close()
