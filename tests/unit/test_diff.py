"""Unit tests for indexing.exports.diff: two runs compared on hand-made export and apply folders
(written by the export's own file writers, in each format)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from indexing import DiffError, LoupeError, diff_runs
from indexing.exports import run_folder
from indexing.exports.diff import NO_REASON
from indexing.exports.formats import open_writer

FORMATS = ("jsonl", "parquet", "hf")


def doc(i: int, cluster: int | None = 0, lang: str | None = "en", **extra) -> dict:
    return {"id": f"d{i:02d}", "text": f"document {i} " * (i + 1), "tokens": 10 * i, "cluster": cluster,
            "lang": lang, **extra}


def write_run(folder: Path, kept: list[dict], removed: list[dict] | None = None, format: str = "jsonl",
              kind: str | None = None, shard_rows: int | None = 2) -> Path:
    """An export (or, with kind="apply", an applied output) as Loupe writes it: parts, removed/, manifest."""
    folder.mkdir(parents=True)
    scratch = folder.parent / f".{folder.name}-scratch"
    scratch.mkdir()
    files = []
    for rows, relative in ((kept, ""), (removed, "removed/")):
        if rows is None:
            continue
        model = rows or kept or removed  # an empty side gets the columns of the other
        columns = list(dict.fromkeys(k for row in model for k in row))
        table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in model]).slice(0, len(rows))
        writer = open_writer(format, folder / relative, relative, table.schema, shard_rows, scratch / "rows.arrow")
        for batch in table.to_batches(max_chunksize=3):
            writer.write(batch)
        files += writer.close()
    manifest = {"manifest_version": 1, "format": format, "columns": list(kept[0]) if kept else ["id"], "files": files,
                "kept": {"documents": len(kept), "tokens": sum(r.get("tokens") or 0 for r in kept)}}
    if kind:
        manifest["kind"] = kind
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def by_group(groups) -> dict:
    return {g.group: (g.documents, g.tokens) for g in groups}


@pytest.mark.parametrize("format", FORMATS)
def test_a_threshold_change_is_explained_by_reason_cluster_and_language(tmp_path, format):
    """A: a plain export with its complement; B: an applied output whose removed/ says why."""
    a_kept = [doc(i, cluster=i % 2, lang="en" if i < 5 else "de") for i in range(1, 8)]  # d01..d07
    a_removed = [doc(8, cluster=1), doc(9, cluster=0, lang="fr")]
    b_kept = [doc(i, cluster=i % 2, lang="en" if i < 5 else "de") for i in (1, 2, 4, 7)] + [doc(8, cluster=1),
                                                                                           doc(9, cluster=0, lang="fr")]
    b_removed = [doc(3, cluster=1, reason="tokens >= 40", reason_value="30"),
                 doc(5, cluster=1, lang="de", reason="tokens >= 40", reason_value="50"),
                 doc(6, cluster=0, lang="de", reason="dedup", reason_value="d02")]
    a = write_run(tmp_path / "a", a_kept, a_removed, format)
    b = write_run(tmp_path / "b", b_kept, b_removed, format, kind="apply")

    change = diff_runs(a, b)

    assert (change.a.documents, change.a.tokens, change.a.kind) == (7, 280, "export")
    assert (change.b.documents, change.b.tokens, change.b.kind) == (6, 310, "apply")
    assert change.unchanged == {"documents": 4, "tokens": 140}
    removed, added = change.removed, change.added
    assert (removed.documents, removed.tokens) == (3, 140)
    assert by_group(removed.by_reason) == {"tokens >= 40": (2, 80), "dedup": (1, 60)}
    first = removed.by_reason[0]
    assert first.group == "tokens >= 40" and first.examples == ["d03", "d05"] and first.values == ["30", "50"]
    assert removed.by_reason[1].examples == ["d06"] and removed.by_reason[1].values == ["d02"]
    assert by_group(removed.by_cluster) == {"1": (2, 80), "0": (1, 60)}
    assert by_group(removed.by_lang) == {"de": (2, 110), "en": (1, 30)}
    assert (added.documents, added.tokens) == (2, 170)
    assert by_group(added.by_reason) == {NO_REASON: (2, 170)}  # A's removed/ has no reason column
    assert by_group(added.by_cluster) == {"1": (1, 80), "0": (1, 90)}
    assert by_group(added.by_lang) == {"en": (1, 80), "fr": (1, 90)}
    assert sorted(added.by_reason[0].examples) == ["d08", "d09"]
    round_trip = json.loads(json.dumps(change.as_dict()))
    assert round_trip["removed"]["by_reason"][0] == {"group": "tokens >= 40", "documents": 2, "tokens": 80,
                                                     "examples": ["d03", "d05"], "values": ["30", "50"]}
    assert round_trip["unchanged"] == {"documents": 4, "tokens": 140}


def test_a_document_the_other_run_does_not_hold_is_not_in_it(tmp_path):
    """B without removed/ (an export without --include-removed): removed ones are "not in B";
    a reason recorded for some of them only: the rest are still "not in B"."""
    a = write_run(tmp_path / "a", [doc(i) for i in range(1, 5)])
    b = write_run(tmp_path / "b", [doc(1), doc(2), doc(5)])
    change = diff_runs(a, b)
    assert by_group(change.removed.by_reason) == {"not in B": (2, 70)}
    assert by_group(change.added.by_reason) == {"not in A": (1, 50)}
    assert change.removed.by_reason[0].values == [None, None]

    c = write_run(tmp_path / "c", [doc(1)], [doc(2, reason="budget", reason_value=None)], kind="apply")
    change = diff_runs(a, c)
    assert by_group(change.removed.by_reason) == {"not in B": (2, 70), "budget": (1, 20)}


def test_a_null_reason_counts_as_no_reason(tmp_path):
    a = write_run(tmp_path / "a", [doc(1), doc(2), doc(3)])
    b = write_run(tmp_path / "b", [doc(1)], [doc(2, reason=None, reason_value=None),
                                             doc(3, reason="labels", reason_value="quality=bad")], kind="apply")
    change = diff_runs(a, b)
    assert by_group(change.removed.by_reason) == {NO_REASON: (1, 20), "labels": (1, 30)}


def test_identical_runs_differ_in_nothing(tmp_path):
    rows = [doc(i) for i in range(6)]
    a, b = write_run(tmp_path / "a", rows, format="parquet"), write_run(tmp_path / "b", rows[::-1], format="jsonl")
    change = diff_runs(a, b)
    assert change.unchanged == {"documents": 6, "tokens": 150}
    assert (change.added.documents, change.removed.documents) == (0, 0)
    assert change.added.by_reason == change.removed.by_cluster == []


def test_runs_without_tokens_cluster_or_lang_say_so(tmp_path):
    a = write_run(tmp_path / "a", [{"id": f"d{i}", "text": "x"} for i in range(3)])
    b = write_run(tmp_path / "b", [{"id": "d0", "text": "x"}, {"id": "d9", "text": "y"}], format="parquet")
    change = diff_runs(a, b)
    assert change.a.tokens is None and change.removed.tokens is None
    assert change.removed.by_cluster is None and change.removed.by_lang is None
    assert by_group(change.removed.by_reason) == {"not in B": (2, None)}
    assert change.added.documents == 1 and change.added.by_reason[0].examples == ["d9"]


def test_empty_runs_compare(tmp_path):
    a = write_run(tmp_path / "a", [doc(1)], [], format="parquet")
    empty = write_run(tmp_path / "b", [], [doc(1)], format="parquet")
    change = diff_runs(a, empty)
    assert change.b.documents == 0 and change.removed.documents == 1
    assert by_group(change.removed.by_reason) == {NO_REASON: (1, 10)}


def test_examples_are_capped_per_group(tmp_path):
    a = write_run(tmp_path / "a", [doc(i) for i in range(20)])
    b = write_run(tmp_path / "b", [doc(0)])
    assert diff_runs(a, b, examples=5).removed.by_reason[0].examples == [f"d{i:02d}" for i in range(1, 6)]
    assert diff_runs(a, b, examples=0).removed.by_cluster[0].examples == []
    with pytest.raises(LoupeError, match="examples"):
        diff_runs(a, b, examples=-1)


def test_many_rows_stream_through_small_json_blocks_and_the_line_reader(tmp_path, monkeypatch):
    """Arrow's JSON reader in small blocks gives up half way (a cluster written as text);
    the line reader carries on from there: every row counted once."""
    rows = [doc(i % 90, cluster=i % 7) | {"id": f"r{i:05d}"} for i in range(3000)]
    a = write_run(tmp_path / "a", rows, shard_rows=None)
    b = write_run(tmp_path / "b", rows[:1000], shard_rows=None)
    rows[2500]["cluster"] = "6"  # text where the blocks before held numbers
    (a / "part-00000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.setattr(run_folder, "_JSON_BLOCK", 4096)
    monkeypatch.setattr(run_folder, "BATCH_ROWS", 256)
    change = diff_runs(a, b)
    assert change.a.documents == 3000 and change.removed.documents == 2000
    assert change.a.tokens == sum(r["tokens"] for r in rows)
    assert sum(g.documents for g in change.removed.by_cluster) == 2000
    assert by_group(change.removed.by_cluster)["6"][0] == sum(1 for r in rows[1000:] if str(r["cluster"]) == "6")


def test_a_line_longer_than_a_json_block_is_read(tmp_path, monkeypatch):
    a = write_run(tmp_path / "a", [doc(1), doc(2) | {"text": "long " * 5000}, doc(3)])
    b = write_run(tmp_path / "b", [doc(1)])
    monkeypatch.setattr(run_folder, "_JSON_BLOCK", 1024)
    assert by_group(diff_runs(a, b).removed.by_reason) == {"not in B": (2, 50)}


# ---- folders that are not runs: one DiffError that names the folder or the file -------------


def test_a_missing_folder_or_a_file_is_named(tmp_path):
    good = write_run(tmp_path / "good", [doc(1)])
    with pytest.raises(DiffError, match=r"^A: .*nowhere does not exist; give the folder of an export"):
        diff_runs(tmp_path / "nowhere", good)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DiffError, match=r"^B: .*file.txt is a file, not a folder"):
        diff_runs(good, tmp_path / "file.txt")


def test_a_folder_without_manifest_is_not_a_run(tmp_path):
    good = write_run(tmp_path / "good", [doc(1)])
    (tmp_path / "plain").mkdir()
    with pytest.raises(DiffError, match=r"plain has no manifest.json, so it is not an export or an applied output"):
        diff_runs(good, tmp_path / "plain")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "workspace.json").write_text("{}")
    with pytest.raises(DiffError, match=r"is a workspace: its exports are under .*ws/exports"):
        diff_runs(tmp_path / "ws", good)


@pytest.mark.parametrize("text, says", [("{not json", "is not valid JSON"), ("[1, 2]", "is not a JSON object"),
                                        ('{"format": "csv"}', "names the format 'csv'")])
def test_a_damaged_manifest_is_named(tmp_path, text, says):
    good = write_run(tmp_path / "good", [doc(1)])
    bad = write_run(tmp_path / "bad", [doc(1)])
    (bad / "manifest.json").write_text(text)
    with pytest.raises(DiffError, match=f"^B: .*bad/manifest.json {says}"):
        diff_runs(good, bad)


def test_a_listed_file_that_is_missing_is_named(tmp_path):
    good = write_run(tmp_path / "good", [doc(1)])
    bad = write_run(tmp_path / "bad", [doc(1), doc(2), doc(3)], format="parquet")
    (bad / "part-00001.parquet").unlink()
    with pytest.raises(DiffError, match="lists part-00001.parquet, which is missing"):
        diff_runs(good, bad)


@pytest.mark.parametrize("format, name, content, says", [
    ("parquet", "part-00000.parquet", b"this is not parquet", "cannot be read as Parquet"),
    ("parquet", "removed/part-00000.parquet", b"PAR1 broken", "cannot be read as Parquet"),
    ("hf", "data-00001-of-00002.arrow", b"nope", "cannot be read as an Arrow stream"),
    ("jsonl", "part-00001.jsonl", b'{"id": "d03", "tokens": 1}\n{oops\n', "line 2 is not JSON"),
    ("jsonl", "part-00000.jsonl", b'"just a string"\n', "line 1 is not a JSON object"),
    ("jsonl", "part-00000.jsonl", b'{"id": "d01", "tokens": "many"}\n', "unexpected type"),
])
def test_a_damaged_data_file_is_named(tmp_path, format, name, content, says):
    good = write_run(tmp_path / "good", [doc(5)])
    bad = write_run(tmp_path / "bad", [doc(1), doc(2), doc(3)], [doc(4)], format=format)
    (bad / name).write_bytes(content)
    with pytest.raises(DiffError, match=f"^A: .*bad/{name}.*{says}"):
        diff_runs(bad, good)


def test_a_run_without_ids_cannot_be_compared(tmp_path):
    good = write_run(tmp_path / "good", [doc(1)])
    bad = write_run(tmp_path / "bad", [{"text": "no id here", "tokens": 3}], format="parquet")
    with pytest.raises(DiffError, match="^B: .*has no `id` column; runs are compared by id"):
        diff_runs(good, bad)


def test_a_manifest_without_format_is_read_by_its_files(tmp_path):
    a = write_run(tmp_path / "a", [doc(1), doc(2)], format="parquet")
    manifest = json.loads((a / "manifest.json").read_text())
    del manifest["format"], manifest["files"]
    (a / "manifest.json").write_text(json.dumps(manifest))
    b = write_run(tmp_path / "b", [doc(2)], format="hf")
    assert diff_runs(a, b).removed.by_reason[0].examples == ["d01"]
