"""`loupe app` and `loupe demo`: serve the Streamlit app on a workspace (demo builds one first)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.style import Style

from app.cli.common import QuietOption, WorkspaceOption, cli, console
from app.cli.desktop import graphical_browser, has_display, open_when_ready, page_url
from app.cli.index import open_or_create, run_index
from app.cli.terminal import line

STREAMLIT_APP = Path(__file__).parents[1] / "streamlit_app.py"
NoBrowserOption = typer.Option(False, "--no-browser", help="Do not open a browser on the page (it opens only "
                               "where there is a display: not over SSH, on Linux with DISPLAY or WAYLAND_DISPLAY).")


def start_app(workspace: Path, host: str, port: int, map_points: Optional[int] = None, browser: bool = True) -> None:
    """Serve the app on `workspace` from this process until Ctrl-C (or SIGTERM) stops it.

    Streamlit runs here rather than in a child process, so the columns preloaded
    below are what the first page finds, and a signal to `loupe app` stops the server.
    With `browser`, the user's browser opens on the page once it answers, where there is
    a display to show it (app.cli.desktop). Ctrl-C exits 0 once the server has stopped
    (130 when pressed before it started), with a "stopped" line and no traceback.
    """
    import os

    from click.exceptions import Abort
    from streamlit.web import cli as streamlit_cli

    path = str(workspace.resolve())
    url = page_url(host, port)
    os.environ["LOUPE_WORKSPACE"] = path
    if map_points:
        os.environ["LOUPE_MAP_POINTS"] = str(map_points)
    try:
        with console.status("loading the workspace's columns for the map"):
            from app.preload import preload

            preload(path)
        console.print(line(f"Loupe app on {workspace}: ", (url, Style(link=url, underline=True)), "  (Ctrl+C stops it)"))
        opener = graphical_browser() if browser and has_display() else None
        if opener is not None:
            open_when_ready(url, opener, said=console.print)
        elif browser:
            console.print("no display (or no graphical browser) to open the page in: open the address above yourself")
        streamlit_cli.main(["run", str(STREAMLIT_APP), "--server.address", host, "--server.port", str(port),
                            "--server.headless", "true", "--browser.gatherUsageStats", "false",
                            "--client.toolbarMode", "minimal"], prog_name="streamlit", standalone_mode=False)
    except (KeyboardInterrupt, Abort):  # before the server took over Ctrl-C
        console.print(f"Loupe app stopped ({url} is closed)")
        raise typer.Exit(130)
    console.print(f"Loupe app stopped ({url} is closed)")


@cli.command()
def app(
    workspace: Path = WorkspaceOption,
    host: str = typer.Option("127.0.0.1", help="Address to bind; the default keeps the app on this machine."),
    port: int = typer.Option(8501, help="Port to listen on."),
    map_points: int = typer.Option(1_000_000, min=1000, help="The most points the map draws; above it, a "
                                   "sample that keeps every cluster (selections still cover every document)."),
    no_browser: bool = NoBrowserOption,
) -> None:
    """Open the Loupe app on a workspace in the browser."""
    start_app(workspace, host, port, map_points, browser=not no_browser)


@cli.command()
def demo(
    workspace: Path = typer.Option(Path("demo-workspace"), "--workspace", "-w", help="Where to build it."),
    docs: int = typer.Option(5000, "--docs", min=10, help="How many samples of the standard library."),
    seed: int = typer.Option(0, help="Which samples."),
    no_app: bool = typer.Option(False, "--no-app", help="Stop after indexing."),
    host: str = typer.Option("127.0.0.1", help="Address the app binds to."),
    port: int = typer.Option(8501, help="Port of the app."),
    no_browser: bool = NoBrowserOption,
    quiet: bool = QuietOption,
) -> None:
    """Build a corpus from this Python's standard library, index it, and open it."""
    from indexing.demo_corpus import stdlib_documents, write_jsonl

    corpus = workspace / "sources" / "stdlib.jsonl"
    if not corpus.exists():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        with console.status("collecting docstrings and functions from the standard library"):
            written = write_jsonl(stdlib_documents(docs, seed=seed), corpus)
        console.print(f"demo corpus: {written:,} samples in {corpus}")
    ws = open_or_create(workspace, None, None, "id")
    try:
        run_index(ws, [str(corpus)], quiet)
    except KeyboardInterrupt:  # the build resumes where it stopped
        console.print(f"stopped; `loupe demo -w {workspace}` goes on from where it stopped")
        raise typer.Exit(130)
    if not no_app:
        start_app(workspace, host, port, browser=not no_browser)
