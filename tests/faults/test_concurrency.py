"""Two app sessions and the CLI labelling one workspace at once; exports while labels are
written (issue 8, section 2.3)."""

from __future__ import annotations

import os
import shutil
import threading

import pytest

from indexing import Workspace
from indexing.exports.export import export
from tests.faults.labellers import run_together

pytestmark = pytest.mark.integration
# Actions in all: each app session clicks a sixth of them (an AppTest click reruns the whole
# page, the slow part), the CLI makes the rest; enough for the labels table to be compacted
# three times meanwhile. `benchmarks/faults.py` runs 1,000.
ACTIONS = int(os.environ.get("LOUPE_CONCURRENT_ACTIONS", "240"))


@pytest.fixture()
def workspace(lab, tmp_path):
    shutil.copytree(lab.template("labelled"), tmp_path / "ws")
    return Workspace.open(tmp_path / "ws")


def test_two_app_sessions_and_the_cli_lose_no_label_and_show_no_error(workspace):
    """issue 8, section 2.3 (and defect 10: a commit conflict of the compaction after a
    stored label made a click end in a traceback)."""
    sixth = ACTIONS // 6
    report = run_together(workspace.root, sixth, ACTIONS - 2 * sixth)
    print(f"{report['actions']} actions in {report['seconds']:.1f} s")
    assert not report["errors"], "\n".join(report["errors"][:5])
    assert not report["lost"], report["lost"]
    assert report["actions"] == ACTIONS, report


def test_every_export_made_while_labels_are_written_matches_its_label_snapshot(workspace):
    """issue 8, section 2.3: the manifest's label counts describe the exported rows."""
    ids = sorted(workspace.docs(columns=["id"])["id"].to_pylist())
    stop, failures = threading.Event(), []

    def label() -> None:
        labels = Workspace.open(workspace.root).labels
        i = 0
        while not stop.is_set():
            try:
                labels.add(ids[i % len(ids):i % len(ids) + 3], "quality", "good" if i % 4 else "bad")
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(repr(error))
            i += 3

    thread = threading.Thread(target=label)
    thread.start()
    try:
        results = [export(workspace, f"good-{n}", where="quality = 'good'", format="parquet") for n in range(8)]
    finally:
        stop.set()
        thread.join()
    assert not failures, failures[:3]
    kept = [r.kept for r in results]
    assert len(set(kept)) > 1, f"the labels did not change during the exports: {kept}"
    for result in results:
        assert result.manifest["labels"]["quality"]["good"] == result.kept, result.manifest
