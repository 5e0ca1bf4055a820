"""`loupe index` and `loupe info`: build a workspace (resumably) and say what it holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from app.cli.common import AddressOption, EngineOption, QuietOption, WorkspaceOption, cli, console, fail, fails_on, out, progress
from app.cli.terminal import Table, styled
from indexing import IndexReport, Workspace
from indexing.errors import IngestError
from indexing.vectors.embedder import DEFAULT_MODEL
from indexing.vectors.preview import base_name, preview_note
from indexing.ingest.ingest import IngestOptions
from indexing.workspace.manifest import STATE_FILE


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
    note = preview_note(workspace.state.model, workspace.root)
    if note:
        console.print(styled(note, "yellow"))
    if report.examples:
        console.print(styled("first rejected records:", "yellow"))
        for example in report.examples[:10]:
            console.print(f"  {example}")
    if report.log:
        console.print(f"all rejected records: {report.log}")


def open_or_create(path: Path, model: Optional[str], text_field: Optional[str], id_field: Optional[str]) -> Workspace:
    """The workspace at `path`, created when new; an existing one must agree with the options given."""
    if not (path / STATE_FILE).exists():
        return Workspace.create(path, model=model or DEFAULT_MODEL, text_field=text_field or "text", id_field=id_field)
    with fails_on():  # damaged: never overwritten by a new one
        workspace = Workspace.open(path)
    state = workspace.state
    for name, given, stored in (("--text-field", text_field, state.text_field), ("--id-field", id_field, state.id_field)):
        if given is not None and given != stored:
            fail(f"{path} was created with {name} {stored!r}; a workspace keeps one (use a new workspace)")
    stored = base_name(state.model)  # a preview is of its model: --model names the same one
    if model is not None and model != stored and not (model == "all-MiniLM-L6-v2" and stored == DEFAULT_MODEL):
        fail(f"{path} holds vectors of {state.model}; use a new workspace for {model}")
    return workspace


def run_index(workspace: Workspace, sources: list[str], quiet: bool = False, **options) -> IndexReport:
    """Index `sources` into `workspace` with progress, then print the summary (`index` and `demo`)."""
    # a full disk: every stage resumes, so a re-run finishes the work
    with fails_on(disk=workspace.root, disk_note="{}; stored rows are kept, run again to resume"):
        try:
            with progress(quiet) as reporter:
                report = workspace.index(sources, progress=reporter, **options)
        except IngestError as error:
            fail(f"{error} (--on-error fail); rows stored before it are kept, run again to resume")
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
    remap: bool = typer.Option(False, "--remap", help="Fit the map and the clusters again over every document "
                               "(otherwise new documents are placed on the existing ones)."),
    max_chars: int = typer.Option(IngestOptions.max_chars, help="Reject texts longer than this."),
    on_error: str = typer.Option("skip", help="skip: report bad records and go on; fail: stop at the first."),
    quiet: bool = QuietOption,
    chunk_size: int = typer.Option(IngestOptions.chunk_size, min=1, help="Rows per LanceDB commit.", hidden=True),
    max_fields: int = typer.Option(IngestOptions.max_fields, min=1, help="Most source fields with a column of their own; the rest go to extra_fields (JSON)."),
    engine: str = EngineOption,
    address: Optional[str] = AddressOption,
    preview: bool = typer.Option(False, "--preview", help="Embed with a static model distilled from the model "
                                 "(model2vec; tens of times faster, cached per model): a first map in minutes. "
                                 "Upgrade later with --full."),
    full: bool = typer.Option(False, "--full", help="Upgrade a preview workspace to the full model: re-embed every "
                              "document, fit the map and clusters again, retrain classifiers; labels are kept."),
) -> None:
    """Ingest, embed, index, map and cluster SOURCES into a workspace (resumable)."""
    if not sources and not (workspace / STATE_FILE).exists():
        fail(f"{workspace} is not a Loupe workspace yet; give the SOURCES to index into it", 2)
    if on_error not in ("skip", "fail"):
        fail("--on-error must be skip or fail", 2)
    if limit and sample:
        fail("use either --limit or --sample", 2)
    if preview and full:
        fail("use either --preview or --full", 2)
    if full and not (workspace / STATE_FILE).exists():
        fail(f"{workspace} is not a Loupe workspace yet; --full upgrades an indexed preview workspace", 2)
    ws = open_or_create(workspace, model, text_field, id_field)
    run_index(ws, sources or [], quiet, limit=limit, sample=sample, seed=seed, device=device,
              batch_size=batch_size, clusters=clusters, remap=remap, max_chars=max_chars, on_error=on_error,
              chunk_size=chunk_size, max_fields=max_fields, engine=engine, address=address, preview=preview,
              full=full)


@cli.command()
def info(
    workspace: Path = WorkspaceOption,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable (stable; see README)."),
) -> None:
    """What a workspace holds: docs, columns, model, stages, clusters, labels, sizes."""
    with fails_on():
        data = Workspace.open(workspace).info()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(title=f"workspace {data['path']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("docs", f"{data['docs']:,}")
    table.add_row("model", f"{data['model']} ({data['dimension']}-d)")
    if data.get("preview_note"):
        table.add_row("preview", data["preview_note"])
    table.add_row("stages done", ", ".join(data["stages_done"]) or "none")
    table.add_row("ready", "yes" if data["ready"] else "no")
    table.add_row("clusters", str(data["clusters"]) + (f" in {data['topics']} topics" if data.get("topics") else ""))
    if data["placed"]:
        table.add_row("map", f"{data['placed']:,} documents placed from their neighbours, not fitted "
                             f"(`loupe index -w {workspace} --remap` fits the map again)")
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
