"""Every kind of bad input is reported with file and line, counted, and loses nothing."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest

from indexing import Workspace
from indexing.errors import IngestError
from tests.helpers import write_jsonl

GOOD = [{"id": f"g{i}", "text": f"good document number {i} about parsing dates"} for i in range(30)]


def _ws(tmp_path, **kw):
    return Workspace.create(tmp_path / "ws", model="hash:32", id_field="id", **kw)


def _rejection_lines(report):
    return [json.loads(line) for line in open(report.log, encoding="utf-8")]


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "messy.jsonl"
    lines = [json.dumps(GOOD[0]), "{not json", json.dumps({"id": "x1", "body": "no text field"}),
             json.dumps({"id": "x2", "text": ""}), json.dumps({"id": "x3", "text": "   \n "}),
             json.dumps({"id": "x4", "text": "x" * 10_000_000}), json.dumps({"id": "g0", "text": "dup"}),
             json.dumps({"id": "x5", "text": 42}), json.dumps(["a", "list"]), json.dumps(GOOD[1])]
    data = ("\n".join(lines) + "\n").encode()
    data += b'{"id": "latin", "text": "caf\xe9"}\n' + (json.dumps(GOOD[2]) + "\n").encode()
    path.write_bytes(data)
    return path


def test_each_bad_record_is_reported_with_file_and_line(tmp_path, messy):
    ws = _ws(tmp_path)
    report = ws.index([messy])
    assert report.rows_stored == 3 and ws.count() == 3
    assert report.rejected == {
        "malformed JSON": 1, "no 'text' field": 1, "empty text": 2, "text too long": 1,
        "duplicate id": 1, "text is not a string": 1, "not a JSON object": 1, "not UTF-8": 1,
    }
    logged = {(r["line"], r["reason"]) for r in _rejection_lines(report)}
    assert logged == {(2, "malformed JSON"), (3, "no 'text' field"), (4, "empty text"), (5, "empty text"),
                      (6, "text too long"), (7, "duplicate id"), (8, "text is not a string"),
                      (9, "not a JSON object"), (11, "not UTF-8")}
    assert all(r["file"] == str(messy) for r in _rejection_lines(report))
    assert any(e.startswith(f"{messy}:6: text too long") for e in report.examples)
    source = ws.info()["sources"][0]
    assert (source["stored"], source["rejected"], source["records"]) == (3, 9, 12)


def test_empty_files_and_unreadable_paths_are_counted(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (tmp_path / "notes.xyz").write_text("some notes")
    good = write_jsonl(tmp_path / "good.jsonl", GOOD[:5])
    ws = _ws(tmp_path)
    report = ws.index([empty, tmp_path / "missing.parquet", tmp_path / "notes.xyz", good])
    assert ws.count() == 5
    assert report.rejected == {"empty source": 1, "unreadable source": 2}
    text = "\n".join(report.examples)
    assert f"{empty}:0: empty source" in text
    assert f"{tmp_path / 'missing.parquet'}:0: unreadable source (no such file or directory)" in text
    assert "unknown format" in text


def test_fail_mode_stops_at_the_first_bad_record_and_keeps_what_was_stored(tmp_path, messy):
    good = write_jsonl(tmp_path / "good.jsonl", GOOD[5:25])
    ws = _ws(tmp_path)
    ws.index([good])
    version = ws.store.version()
    with pytest.raises(IngestError, match=rf"{messy}:2: malformed JSON"):
        ws.index([messy], on_error="fail")
    assert ws.count() == 20
    assert sorted(ws.docs(columns=["id"]).column("id").to_pylist()) == sorted(r["id"] for r in GOOD[5:25])
    assert ws.store.version() == version
    report = ws.index([messy])  # the same workspace then takes the rest with skip
    assert ws.count() == 23 and report.rows_rejected == 9


def test_duplicate_ids_across_sources_and_runs(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", GOOD[:10])
    b = write_jsonl(tmp_path / "b.jsonl", GOOD[5:15])
    ws = _ws(tmp_path)
    ws.index([a])
    report = ws.index([b])
    assert ws.count() == 15
    assert report.rejected == {"duplicate id": 5}
    assert "'g5' first seen in the workspace" in report.examples[0]


def test_a_corrupt_gzip_keeps_the_records_before_the_break(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in GOOD).encode())
    path.write_bytes(data[: len(data) // 2])
    ws = _ws(tmp_path)
    report = ws.index([path])
    assert report.rejected.get("compressed stream is corrupt or truncated") == 1
    assert 0 < ws.count() < len(GOOD)


def test_mixed_field_types_keep_the_record_and_warn(tmp_path):
    rows = [{"id": "a", "text": "one", "score": 1}, {"id": "b", "text": "two", "score": "high"},
            {"id": "c", "text": "three", "meta": {"k": [1, 2]}, "id_src": "kept"}]
    ws = _ws(tmp_path)
    report = ws.index([write_jsonl(tmp_path / "m.jsonl", rows)], chunk_size=1)
    assert ws.count() == 3
    table = ws.docs(columns=["id", "score", "meta"]).sort_by("id").to_pylist()
    assert [r["score"] for r in table] == [1, None, None]
    assert table[2]["meta"] == '{"k": [1, 2]}'
    assert report.warnings == {"field 'score': value not of type int64, stored as null": 1}


# ---- issue 8: hostile field names, nesting, width, quotes and text folders ----------


def _state(ws) -> dict:
    return json.loads((ws.root / "workspace.json").read_text(encoding="utf-8"))


def test_field_names_with_dots_and_backticks_are_stored_under_safe_names(tmp_path):
    """issue 8, defect 1: a CSV header `id,text,tag,tag` (read as `tag.1`) or a JSONL key
    "n.m" aborted the whole run with LanceError(Schema), storing nothing."""
    csv_path = tmp_path / "dup.csv"
    csv_path.write_text("id,text,tag,tag\nc1,first text,a,b\nc2,second text,c,d\n", encoding="utf-8")
    rows = [{"id": "j1", "text": "json text", "n.m": 1, "a`b": "tick", "": "blank"},
            {"id": "j2", "text": "more json", "n.m": 2, "a`b": "tock", "tag_1": "own"}]
    ws = _ws(tmp_path)
    report = ws.index([csv_path, write_jsonl(tmp_path / "keys.jsonl", rows)], chunk_size=1)
    assert ws.count() == 4 and report.rows_rejected == 0
    fields = {"tag": "tag", "tag.1": "tag_1", "n.m": "n_m", "a`b": "a_b", "": "unnamed", "tag_1": "tag_1_2"}
    assert _state(ws)["fields"] == fields
    assert ws.info()["fields"] == fields
    assert "field 'tag.1' stored as column 'tag_1'" in report.notes
    assert "field 'a`b' stored as column 'a_b'" in report.notes
    assert ws.count("tag_1 = 'b'") == 1 and ws.count("n_m = 2") == 1 and ws.count("a_b = 'tock'") == 1
    assert ws.docs(where="id = 'j2'", columns=["tag_1_2"]).column("tag_1_2").to_pylist() == ["own"]
    # the next run keeps the same columns and says nothing new about them
    again = write_jsonl(tmp_path / "again.jsonl", [{"id": "j3", "text": "again", "n.m": 3, "tag.1": "z"}])
    report = Workspace.open(ws.root).index([again])
    assert not [n for n in report.notes if n.startswith("field ")]
    assert ws.count("n_m = 3 AND tag_1 = 'z'") == 1
    assert _state(ws)["fields"] == fields


def test_a_workspace_from_before_the_field_record_is_seeded(tmp_path):
    """issue 8, defect 1: a workspace made before `fields` existed records its source columns."""
    ws = _ws(tmp_path)
    ws.index([write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "one", "lang": "en", "tag": "t"}])])
    state = _state(ws)
    del state["fields"]
    (ws.root / "workspace.json").write_text(json.dumps(state), encoding="utf-8")
    old = Workspace.open(ws.root)
    assert old.info()["fields"] == {"lang": "lang_src", "tag": "tag"}
    old.index([write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "text": "two", "lang": "fr", "tag.x": 1}])])
    assert _state(old)["fields"] == {"lang": "lang_src", "tag": "tag", "tag.x": "tag_x"}
    assert sorted(old.docs(columns=["lang_src"]).column("lang_src").to_pylist()) == ["en", "fr"]


def test_source_fields_named_like_loupe_columns_survive_dedup(tmp_path):
    """issue 8, defect 4: source fields `dup_keep` and `dup_group` were overwritten by dedup."""
    from indexing.curate.dedup import dedup
    from indexing.errors import ColumnOwnershipError

    rows = [{"id": f"d{i}", "text": "same text" if i < 2 else f"text {i}", "dup_keep": i % 2 == 0,
             "dup_group": f"g{i}", "score_mine": i, "extra_fields": "x"} for i in range(4)]
    ws = _ws(tmp_path)
    report = ws.index([write_jsonl(tmp_path / "d.jsonl", rows)])
    assert "field 'dup_keep' stored as column 'dup_keep_src'" in report.notes
    dedup(ws, "exact")
    table = ws.docs(columns=["id", "dup_keep", "dup_keep_src", "dup_group_src", "score_mine_src",
                             "extra_fields_src"]).sort_by("id")
    assert table.column("dup_keep_src").to_pylist() == [True, False, True, False]
    assert table.column("dup_group_src").to_pylist() == ["g0", "g1", "g2", "g3"]
    assert table.column("score_mine_src").to_pylist() == [0, 1, 2, 3]
    assert table.column("dup_keep").to_pylist() == [True, False, True, True]
    ids = table.column("id")
    for column in ("dup_keep_src", "tag", "id_src"):
        with pytest.raises(ColumnOwnershipError, match=f"'{column}'"):
            ws.store.replace_columns(pa.table({"id": ids, column: pa.array([1, 2, 3, 4])}))
    assert ws.docs(columns=["dup_keep_src"]).column("dup_keep_src").to_pylist() == [True, False, True, False]


def test_a_record_nested_too_deeply_is_rejected_and_its_batch_stored(tmp_path):
    """issue 8, defect 6: a record nested 988 levels deep killed the run with RecursionError
    while storing, and the good records of its batch were lost."""
    def deep(levels: int) -> str:  # the record itself is one level
        return '{"id": "d%d", "text": "deep", "f": %s1%s}' % (levels, "[" * (levels - 1), "]" * (levels - 1))

    path = tmp_path / "deep.jsonl"
    lines = [json.dumps(GOOD[0]), *(deep(n) for n in range(984, 992)), json.dumps(GOOD[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = _ws(tmp_path)
    report = ws.index([path])
    assert sorted(ws.docs(columns=["id"]).column("id").to_pylist()) == ["g0", "g1"]
    assert report.rejected == {"nested too deeply": 8}
    assert f"{path}:2: nested too deeply (more than 100 levels)" in report.examples


def test_a_record_with_100000_fields_is_capped_quickly(tmp_path):
    """issue 8, defect 7: one record with 100,000 fields made 100,000 columns and indexing
    never finished."""
    import time

    wide = {"id": "wide", "text": "a very wide record", **{f"f{i}": i for i in range(100_000)}}
    path = write_jsonl(tmp_path / "wide.jsonl", [GOOD[0], wide, {**GOOD[1], "f5": 5, "late": "x"}])
    ws = _ws(tmp_path)
    started = time.perf_counter()
    report = ws.index([path])
    assert time.perf_counter() - started < 60
    columns = ws.info()["columns"]
    assert "f999" in columns and "f1000" not in columns and "late" not in columns
    assert len(_state(ws)["fields"]) == 1000
    row = ws.docs(where="id = 'wide'", columns=["f0", "extra_fields"]).to_pylist()[0]
    extra = json.loads(row["extra_fields"])
    assert row["f0"] == 0 and len(extra) == 99_000 and extra["f99999"] == 99_999
    late = ws.docs(where="id = 'g1'", columns=["f5", "extra_fields"]).to_pylist()[0]
    assert late == {"f5": 5, "extra_fields": '{"late": "x"}'}
    assert report.warnings == {"fields beyond max_fields 1,000 kept as JSON in column 'extra_fields'": 2}
    assert any("99,001 field(s)" in n for n in report.notes)


def test_max_fields_is_an_option(tmp_path):
    rows = [{"id": "a", "text": "one", "p": 1, "q": 2, "r": 3}]
    ws = _ws(tmp_path)
    ws.index([write_jsonl(tmp_path / "o.jsonl", rows)], max_fields=2)
    row = ws.docs(columns=["p", "q", "extra_fields"]).to_pylist()[0]
    assert row == {"p": 1, "q": 2, "extra_fields": '{"r": 3}'}


def test_a_csv_with_an_unterminated_quote_reports_it_and_stores_the_rest(tmp_path):
    """issue 8, defect 13: an unterminated quote swallowed the rest of the file silently."""
    path = tmp_path / "q.csv"
    path.write_text('id,text\na,fine\nb,"broken\nc,after the break\nd,last\n', encoding="utf-8")
    ws = _ws(tmp_path)
    report = ws.index([path])
    assert sorted(ws.docs(columns=["id"]).column("id").to_pylist()) == ["a", "c", "d"]
    assert report.rejected == {"malformed CSV": 1}
    assert f"{path}:3: malformed CSV (unterminated quote)" in report.examples
    assert ws.index([path]).rows_read == 0  # complete: a re-run reads nothing


def test_a_text_folder_with_an_id_field_takes_each_path_as_its_id(tmp_path):
    """issue 8, defect 15: a folder of text files added with --id-field had every file rejected."""
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("first note", encoding="utf-8")
    (folder / "sub" / "b.md").write_text("second note", encoding="utf-8")
    ws = _ws(tmp_path)
    report = ws.index([folder])
    assert report.rows_rejected == 0
    assert sorted(ws.docs(columns=["id"]).column("id").to_pylist()) == [f"{folder.as_posix()}/a.txt",
                                                                       f"{folder.as_posix()}/sub/b.md"]
