"""`loupe train` and `loupe fasttext`: classifiers from hand-labelled seeds, on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from app.cli.common import QuietOption, WorkspaceOption, cli, console, fail, fails_on, out, progress
from app.cli.terminal import Table
from indexing import Workspace

KEEP_TOP = (0.01, 0.10, 0.50)  # the percentile thresholds printed after training


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def metrics_table(classifier, previous=None, thresholds: dict[float, float] | None = None) -> Table:
    """The metrics of `classifier` (and of the version it replaced, when there was one)."""
    m = classifier.metrics
    table = Table(title=f"classifier {classifier.name} -> column {classifier.column}", title_justify="left")
    table.add_column("", style="bold")
    table.add_column("this run", justify="right")
    if previous is not None:
        table.add_column(f"previous ({previous.trained_at[:19]})", justify="right")
    negatives = "unlabelled (sampled)" if classifier.negative is None else repr(classifier.negative)

    def row(title: str, value, old=None) -> None:
        table.add_row(title, value, *([old] if previous is not None else []))

    p = previous.metrics if previous is not None else None
    row("label", f"{classifier.label}: {classifier.positive!r} vs {negatives}")
    row("positive seeds", f"{m.positives:,}", p and f"{p.positives:,}")
    row("negative seeds", f"{m.negatives:,}", p and f"{p.negatives:,}")
    row("folds", str(m.folds or "n/a"), p and str(p.folds or "n/a"))
    row("precision (p >= 0.5)", _figure(m.precision), p and _figure(p.precision))
    row("recall (p >= 0.5)", _figure(m.recall), p and _figure(p.recall))
    row("ROC AUC", _figure(m.roc_auc), p and _figure(p.roc_auc))
    if m.folds is None:
        row("note", "cross-validation needs 2+ seeds of each class")
    if classifier.stats:
        row("documents scored", f"{classifier.stats['docs_scored']:,}")
        row("seconds", f"{sum(classifier.stats['seconds'].values()):.2f}")
    for share, threshold in (thresholds or {}).items():
        row(f"keep top {share:.0%}", f"{classifier.column} >= {threshold:.4f}")
    return table


@cli.command("train")
def train_command(
    workspace: Path = WorkspaceOption,
    name: str = typer.Option(..., "--name", help="Classifier name; it writes the column score_NAME."),
    label: Optional[str] = typer.Option(None, "--label", help="Label name whose values are the seeds [default: NAME]."),
    positive: str = typer.Option("good", "--positive", help="Label value of the positive seeds."),
    negative: Optional[str] = typer.Option(None, "--negative", help="Label value of the negative seeds [default: bad]."),
    negative_unlabelled: bool = typer.Option(False, "--negative-unlabelled",
                                             help="Use a sample of the unlabelled documents as negatives (DCLM-style)."),
    unlabelled_negatives: int = typer.Option(10_000, min=1, help="How many unlabelled documents to sample as negatives."),
    c: float = typer.Option(1.0, "--C", help="Inverse regularisation strength of the logistic regression."),
    seed: int = typer.Option(0, help="Seed for the folds and the unlabelled sample."),
    quiet: bool = QuietOption,
) -> None:
    """Train a classifier on the embeddings from hand labels, score every document, print its metrics."""
    from indexing.curate.classifiers import list_classifiers, load, percentile_threshold, train

    if negative is not None and negative_unlabelled:
        fail("give either --negative VALUE or --negative-unlabelled, not both", 2)
    negative_value = None if negative_unlabelled else (negative or "bad")
    # a full disk: the classifier is swapped in whole or not at all
    with fails_on(disk=workspace):
        ws = Workspace.open(workspace)
        previous = load(ws, name) if name in list_classifiers(ws) else None
        arguments = dict(label=label or name, positive=positive, negative=negative_value, name=name, C=c,
                         unlabelled_negatives=unlabelled_negatives, seed=seed)
        with progress(quiet) as reporter:
            classifier = train(ws, progress=reporter, **arguments)
        scores = ws.docs(columns=[classifier.column])[classifier.column].to_numpy(zero_copy_only=False)
        thresholds = {share: percentile_threshold(scores, share) for share in KEEP_TOP}
    out.print(metrics_table(classifier, previous, thresholds))
    console.print(f"saved {ws.root / 'classifiers' / classifier.name}; wrote {classifier.column} for "
                  f"{classifier.stats['docs_scored']:,} documents")


@cli.command("fasttext")
def fasttext_command(
    workspace: Path = WorkspaceOption,
    label: str = typer.Option(..., "--label", help="Label name to export, e.g. quality."),
    out_file: Path = typer.Option(..., "--out", help="File to write (replaced atomically if it exists)."),
    positive: Optional[str] = typer.Option(None, "--positive", help="Only this value (and --negative's)."),
    negative: Optional[str] = typer.Option(None, "--negative", help="Only this value (and --positive's)."),
    seed: int = typer.Option(0, help="Seed for the order of the lines."),
) -> None:
    """Write the hand labels as a fastText training file: `__label__VALUE text` per line."""
    from indexing.curate.classifiers import export_fasttext

    # a full disk, a name too long: the file is replaced atomically
    with fails_on(disk=out_file):
        lines = export_fasttext(Workspace.open(workspace), label, out_file, positive, negative, seed=seed)
    console.print(f"wrote {lines:,} labelled documents to {out_file}")
