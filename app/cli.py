"""The `loupe` command line: index, info, label, export, app and demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from app.terminal import Table, console as _console, line, styled
from indexing import IndexReport, IngestError, Workspace, WorkspaceError
from indexing.disk import os_error_message
from indexing.embedder import DEFAULT_MODEL
from indexing.ingest import IngestOptions
from indexing.lock import WorkspaceBusy
from indexing.progress import RichReporter
from indexing.state import STATE_FILE

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="Loupe: look at a corpus before you train on it.")
console = _console(stderr=True, soft_wrap=True)  # never break a file:line in two; data is never markup
out = _console()

WorkspaceOption = typer.Option(..., "--workspace", "-w", help="Workspace folder.")


def _fail(message: str, code: int = 1) -> None:
    console.print(line(("error:", "red"), " ", message))
    raise typer.Exit(code)


def _summary(report: IndexReport, workspace: Workspace) -> None:
    table = Table(title="loupe index", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("rows read", f"{report.rows_read:,}")
    table.add_row("rows stored", f"{report.rows_stored:,}")
    table.add_row("rows rejected", f"{report.rows_rejected:,}")
    for reason, n in report.rejected.most_common():
        table.add_row(f"  {reason}", f"{n:,}")
    for warning, n in report.warnings.most_common():
        table.add_row(f"warning: {warning}", f"{n:,}")
    table.add_row("docs in workspace", f"{workspace.count():,}")
    for stage, seconds in report.seconds.items():
        table.add_row(f"time: {stage}", f"{seconds:,.1f} s")
    console.print(table)
    for note in report.notes:
        console.print(styled(note, "dim"))
    if report.examples:
        console.print(styled("first rejected records:", "yellow"))
        for example in report.examples[:10]:
            console.print(f"  {example}")
    if report.log:
        console.print(f"all rejected records: {report.log}")


def _open_or_create(path: Path, model: Optional[str], text_field: Optional[str], id_field: Optional[str]) -> Workspace:
    if not (path / STATE_FILE).exists():
        return Workspace.create(path, model=model or DEFAULT_MODEL, text_field=text_field or "text", id_field=id_field)
    try:
        workspace = Workspace.open(path)
    except WorkspaceError as error:  # damaged: never overwritten by a new one
        _fail(str(error))
    state = workspace.state
    for name, given, stored in (("--text-field", text_field, state.text_field), ("--id-field", id_field, state.id_field)):
        if given is not None and given != stored:
            _fail(f"{path} was created with {name} {stored!r}; a workspace keeps one (use a new workspace)")
    if model is not None and model != state.model and not (model == "all-MiniLM-L6-v2" and state.model == DEFAULT_MODEL):
        _fail(f"{path} holds vectors of {state.model}; use a new workspace for {model}")
    return workspace


def run_index(workspace: Workspace, sources: list[str], quiet: bool = False, **options) -> IndexReport:
    try:
        if quiet:
            report = workspace.index(sources, **options)
        else:
            with RichReporter(console) as progress:
                report = workspace.index(sources, progress=progress, **options)
    except IngestError as error:
        _fail(f"{error} (--on-error fail); rows stored before it are kept, run again to resume")
    except (WorkspaceBusy, WorkspaceError) as error:
        _fail(str(error))
    except OSError as error:  # a full disk: every stage resumes, so a re-run finishes the work
        _fail(f"{os_error_message(error, workspace.root)}; stored rows are kept, run again to resume")
    _summary(report, workspace)
    return report


@cli.command()
def index(
    sources: Optional[List[str]] = typer.Argument(None, help="JSONL (.gz/.zst), Parquet, CSV, a folder of .txt/.md, "
                                                  "or a saved HF dataset; none: finish the pending stages of WS."),
    workspace: Path = WorkspaceOption,
    text_field: Optional[str] = typer.Option(None, help="Field holding the text [default: text]."),
    id_field: Optional[str] = typer.Option(None, help="Field holding a unique id [default: file and line]."),
    limit: Optional[int] = typer.Option(None, min=1, help="Take only the first N records."),
    sample: Optional[int] = typer.Option(None, min=1, help="Take a random sample of N records."),
    seed: int = typer.Option(0, help="Seed for --sample."),
    model: Optional[str] = typer.Option(None, help=f"sentence-transformers model name or path [default: {DEFAULT_MODEL}, bundled]."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: Optional[int] = typer.Option(None, min=1, help="Most texts per forward pass [default: 32 on CPU, 512 on GPU]."),
    clusters: Optional[int] = typer.Option(None, min=1, help="Number of k-means clusters [default: about sqrt(n/4)]."),
    max_chars: int = typer.Option(IngestOptions.max_chars, help="Reject texts longer than this."),
    on_error: str = typer.Option("skip", help="skip: report bad records and go on; fail: stop at the first."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    chunk_size: int = typer.Option(IngestOptions.chunk_size, min=1, help="Rows per LanceDB commit.", hidden=True),
    max_fields: int = typer.Option(IngestOptions.max_fields, min=1, help="Most source fields with a column of their own; the rest go to extra_fields (JSON)."),
) -> None:
    """Ingest, embed, index, map and cluster SOURCES into a workspace (resumable)."""
    if not sources and not (workspace / STATE_FILE).exists():
        _fail(f"{workspace} is not a Loupe workspace yet; give the SOURCES to index into it", 2)
    if on_error not in ("skip", "fail"):
        _fail("--on-error must be skip or fail", 2)
    if limit and sample:
        _fail("use either --limit or --sample", 2)
    ws = _open_or_create(workspace, model, text_field, id_field)
    run_index(ws, sources or [], quiet, limit=limit, sample=sample, seed=seed, device=device,
              batch_size=batch_size, clusters=clusters, max_chars=max_chars, on_error=on_error,
              chunk_size=chunk_size, max_fields=max_fields)


@cli.command()
def info(
    workspace: Path = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable (stable; see README)."),
) -> None:
    """What a workspace holds: docs, columns, model, stages, clusters, labels, sizes."""
    try:
        data = Workspace.open(workspace).info()
    except WorkspaceError as error:
        _fail(str(error))
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(title=f"workspace {data['path']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("docs", f"{data['docs']:,}")
    table.add_row("model", f"{data['model']} ({data['dimension']}-d)")
    table.add_row("stages done", ", ".join(data["stages_done"]) or "none")
    table.add_row("ready", "yes" if data["ready"] else "no")
    table.add_row("clusters", str(data["clusters"]))
    labels = "; ".join(f"{n}: " + ", ".join(f"{v}={c}" for v, c in vals.items()) for n, vals in data["labels"].items())
    table.add_row("labels", labels or "none")
    table.add_row("sources", "\n".join(
        f"{s['path']} ({s['kind']}): {s['stored']:,} stored, {s['rejected']:,} rejected"
        + ("" if s["complete"] else ", incomplete") for s in data["sources"]) or "none")
    table.add_row("columns", ", ".join(f"{k} ({v})" for k, v in data["columns"].items() if k != "vector"))
    table.add_row("fields renamed", ", ".join(f"{f} -> {c}" for f, c in data["fields"].items() if f != c) or "none")
    sizes = data["bytes"]
    table.add_row("on disk", f"{sizes['total'] / 1e6:,.1f} MB (lance {sizes['lance'] / 1e6:,.1f}, faiss {sizes['faiss'] / 1e6:,.1f})")
    out.print(table)


def _read_ids(path: Path) -> list[str]:
    """One id per line; blank lines and surrounding spaces ignored."""
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as error:
        _fail(f"{path}: {error.strerror or error}")


@cli.command()
def label(
    workspace: Path = WorkspaceOption,
    name: str = typer.Option(..., "--name", help="Label name, e.g. quality."),
    value: Optional[str] = typer.Option(None, "--value", help="Label value, e.g. good."),
    clear: bool = typer.Option(False, "--clear", help="Remove the label instead of setting it."),
    ids_file: Optional[Path] = typer.Option(None, "--ids-file", help="File with one document id per line."),
    where: Optional[str] = typer.Option(None, "--where", help="SQL predicate over docs columns and labels."),
    author: Optional[str] = typer.Option(None, help="Who labels [default: the login name]."),
) -> None:
    """Label documents chosen by id or by predicate (one append-only write)."""
    from indexing.labels import LabelError
    from indexing.selection import SelectionError

    if (value is None) == (not clear):
        _fail("give exactly one of --value V or --clear", 2)
    if ids_file is None and where is None:
        _fail("choose documents with --ids-file F and/or --where PRED", 2)
    try:
        ws = Workspace.open(workspace)
        given = _read_ids(ids_file) if ids_file else None
        chosen = ws.select(where, given)
        if given is not None:
            unknown = len(set(given)) - len(chosen) if where is None else 0
            if unknown:
                console.print(styled(f"{unknown:,} id(s) in {ids_file} are not in the workspace; skipped", "yellow"))
        if not chosen:
            _fail("no documents match; nothing labelled")
        action = ws.labels.add(chosen, name, None if clear else value, author)
    except (WorkspaceError, SelectionError, LabelError) as error:
        _fail(str(error))
    except OSError as error:  # a full disk: the add is one write, so nothing was stored
        _fail(f"nothing labelled: {os_error_message(error, workspace)}")
    verb = f"cleared {name} on" if clear else f"labelled {name}={value}:"
    console.print(f"{verb} {len(chosen):,} documents (action {action})")


@cli.command("export")
def export_command(
    workspace: Path = WorkspaceOption,
    out: Path = typer.Option(..., "--out", help="Folder to create (must not exist)."),
    where: Optional[str] = typer.Option(None, "--where", help="SQL predicate over docs columns and labels."),
    ids_file: Optional[Path] = typer.Option(None, "--ids-file", help="Only these ids (one per line)."),
    export_format: str = typer.Option("jsonl", "--format", help="jsonl, parquet or hf."),
    columns: Optional[str] = typer.Option(None, help="Comma-separated columns [default: text, fields, signals]."),
    shard_rows: Optional[int] = typer.Option(None, min=1, help="At most N rows per file."),
    include_removed: bool = typer.Option(False, "--include-removed", help="Also write the rest under removed/."),
) -> None:
    """Write the selected documents, with manifest.json, atomically."""
    from indexing.export import export
    from indexing.selection import SelectionError

    try:
        ws = Workspace.open(workspace)
        with RichReporter(console) as progress:
            result = export(
                ws, out.name, where=where, ids=_read_ids(ids_file) if ids_file else None, format=export_format,
                columns=[c.strip() for c in columns.split(",")] if columns else None, shard_rows=shard_rows,
                include_removed=include_removed, out=out, progress=progress,
            )
    except (WorkspaceError, SelectionError, ValueError, FileExistsError) as error:
        _fail(str(error))
    except OSError as error:  # a full disk, a name too long: the export is atomic, so nothing was written
        _fail(f"nothing exported: {os_error_message(error, out)}")
    kept = result.manifest["kept"]
    console.print(f"exported {kept['documents']:,} documents ({kept['tokens']:,} tokens) to {result.path}; "
                  f"{result.removed:,} removed")


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
    sys.argv = ["streamlit", "run", str(Path(__file__).with_name("streamlit_app.py")),
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Build a corpus from this Python's standard library, index it, and open it."""
    from indexing.demo_corpus import stdlib_documents, write_jsonl

    corpus = workspace / "sources" / "stdlib.jsonl"
    if not corpus.exists():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        with console.status("collecting docstrings and functions from the standard library"):
            written = write_jsonl(stdlib_documents(docs, seed=seed), corpus)
        console.print(f"demo corpus: {written:,} samples in {corpus}")
    ws = _open_or_create(workspace, None, None, "id")
    run_index(ws, [str(corpus)], quiet)
    if not no_app:
        start_app(workspace, host, port)


# Commands kept in their own modules (app/cli_<topic>.py) register on import, one line each:
# (keep this block just above main(): `python -m app.cli` must see every command)
from app import cli_classify  # noqa: E402,F401
from app import cli_dedup  # noqa: E402,F401
from app import cli_budget  # noqa: E402,F401
from app import cli_signals  # noqa: E402,F401


def main() -> None:
    cli()


if __name__ == "__main__":
    # run as `python -m app.cli`, this file is __main__; the command modules registered on the
    # `cli` of the importable copy, so that is the one to run
    from app.cli import main as registered_main

    registered_main()
