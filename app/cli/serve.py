"""`loupe app` and `loupe demo`: serve the Streamlit app on a workspace (demo builds one first)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from app.cli.common import QuietOption, WorkspaceOption, cli, console
from app.cli.index import open_or_create, run_index

STREAMLIT_APP = Path(__file__).parents[1] / "streamlit_app.py"


def start_app(workspace: Path, host: str, port: int, map_points: Optional[int] = None) -> None:
    """Serve the app on `workspace` from this process until interrupted.

    Streamlit runs here rather than in a child process, so the columns preloaded
    below are what the first page finds, and a signal to `loupe app` stops the server.
    """
    import os

    from streamlit.web import cli as streamlit_cli

    path = str(workspace.resolve())
    os.environ["LOUPE_WORKSPACE"] = path
    if map_points:
        os.environ["LOUPE_MAP_POINTS"] = str(map_points)
    with console.status("loading the workspace's columns for the map"):
        from app.preload import preload

        preload(path)
    console.print(f"Loupe app on {workspace}: http://{host}:{port}  (Ctrl+C stops it)")
    sys.argv = ["streamlit", "run", str(STREAMLIT_APP),
                "--server.address", host, "--server.port", str(port), "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    streamlit_cli.main()


@cli.command()
def app(
    workspace: Path = WorkspaceOption,
    host: str = typer.Option("127.0.0.1", help="Address to bind; the default keeps the app on this machine."),
    port: int = typer.Option(8501, help="Port to listen on."),
    map_points: int = typer.Option(1_000_000, min=1000, help="The most points the map draws; above it, a "
                                   "sample that keeps every cluster (selections still cover every document)."),
) -> None:
    """Open the Loupe app on a workspace in the browser."""
    start_app(workspace, host, port, map_points)


@cli.command()
def demo(
    workspace: Path = typer.Option(Path("demo-workspace"), "--workspace", "-w", help="Where to build it."),
    docs: int = typer.Option(5000, "--docs", min=10, help="How many samples of the standard library."),
    seed: int = typer.Option(0, help="Which samples."),
    no_app: bool = typer.Option(False, "--no-app", help="Stop after indexing."),
    host: str = typer.Option("127.0.0.1", help="Address the app binds to."),
    port: int = typer.Option(8501, help="Port of the app."),
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
    run_index(ws, [str(corpus)], quiet)
    if not no_app:
        start_app(workspace, host, port)
