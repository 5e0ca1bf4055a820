"""The app's logic through Streamlit's AppTest, against a real LanceDB + FAISS workspace.

AppTest cannot drive a plotly selection (the browser tests do that with the mouse);
here a selection is put into session state the way the chart's event arrives.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.session import Selection
from components.text import md
from indexing.curate.queue import labelling_queue
from tests.helpers import run_app, open_group, open_tab, write_jsonl

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"
N = 81


@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    """A fresh workspace per test: the tests below write labels and exports."""
    return indexed_workspace(stdlib_rows[:80] + [{"id": "evil", "text": EVIL, "kind": "x", "module": "x"}])


def _run(monkeypatch, path) -> AppTest:
    return run_app(monkeypatch, path)


def _kept(app) -> str:
    return app.sidebar.caption[1].value


def _current(workspace, name="quality") -> dict[str, str]:
    current = workspace.labels.current(name)
    return dict(zip(current["doc_id"].to_pylist(), current["value"].to_pylist()))


def test_missing_workspace_gets_a_page_not_a_traceback(monkeypatch, tmp_path):
    app = _run(monkeypatch, tmp_path / "nowhere")
    assert not app.exception
    assert "No Loupe workspace" in app.info[0].value


def test_map_page_renders_and_search_lists_results(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    assert not app.exception
    assert f"{N} documents" in app.sidebar.caption[0].value
    app.sidebar.text_input(key="query").input("parse a json document").run()
    assert not app.exception
    assert [s.value for s in app.subheader if s.value.startswith("20 results")]


def test_reader_shows_markup_as_literal_text(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.text_input(key="open_id").input("evil").run()
    assert not app.exception
    assert app.code[0].value == EVIL
    assert not [m for m in app.markdown if "<script>" in m.value]


def test_moving_a_threshold_changes_the_counts_and_the_predicate(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    assert f"kept {N} documents" in _kept(app)
    open_tab(app, "Filters")
    slider = app.slider(key="rule_tokens")
    low, high = slider.value
    cut = (low + high) // 4
    slider.set_value((low, cut)).run()
    assert not app.exception
    expected = workspace.count(f"tokens <= {cut}")
    assert f"kept {expected} documents" in _kept(app)
    assert f"removed {N - expected} " in _kept(app)
    assert app.sidebar.text_area(key="predicate_text").value == f"(`tokens` <= {cut})"
    near = [d.value for d in app.dataframe if "side" in d.value.columns]
    assert near and set(near[0]["side"]) == {"kept", "removed"}
    open_tab(app, "Map")
    assert f"{expected:,} of {N} documents drawn" in app.caption[0].value


def test_a_hand_written_predicate_with_a_label_is_the_filter(monkeypatch, workspace):
    ids = workspace.docs(columns=["id"])["id"].to_pylist()
    workspace.labels.add(ids[:5], "quality", "bad")
    app = _run(monkeypatch, workspace.root)
    app.sidebar.toggle(key="hand_predicate").set_value(True).run()
    app.sidebar.text_area(key="predicate_text").input("tokens > 40 AND quality != 'bad'").run()
    assert not app.exception
    expected = len(workspace.select("tokens > 40 AND quality != 'bad'"))
    assert 0 < expected < N - 5
    assert f"kept {expected} documents" in _kept(app)
    app.sidebar.text_area(key="predicate_text").input("no_such_column > 1").run()
    assert not app.exception
    assert md("no_such_column") in app.sidebar.error[0].value  # a message is text: its "_" escaped
    assert f"kept {N} documents" in _kept(app)
    app.sidebar.text_area(key="predicate_text").input("length(lpad(text, 20000000)) > 0").run()  # issue 8, defect 5
    assert not app.exception
    assert md("lpad() is not accepted") in app.sidebar.error[0].value  # a message is text


def test_excluding_a_label_value_removes_those_documents(monkeypatch, workspace):
    ids = workspace.docs(columns=["id"])["id"].to_pylist()
    workspace.labels.add(ids[:7], "quality", "bad")
    workspace.labels.add(ids[7:9], "quality", "good")
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    app.multiselect(key="exclude_quality").set_value(["bad"]).run()
    assert not app.exception
    assert f"kept {N - 7} documents" in _kept(app)
    predicate = app.sidebar.text_area(key="predicate_text").value
    assert predicate == "(`quality` NOT IN ('bad'))"
    assert len(workspace.select(predicate)) == N - 7
    app.sidebar.selectbox(key="colour_by").set_value("label: quality")
    open_tab(app, "Map")
    assert not app.exception
    assert f"{N - 7} of {N} documents drawn" in app.caption[0].value


def test_labels_from_the_reader_append_and_undo_restores(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.text_input(key="open_id").input("evil").run()
    app.button(key="reader_evil_quality_bad").click().run()
    assert not app.exception
    assert _current(workspace) == {"evil": "bad"}
    app.button(key="reader_evil_quality_good").click().run()
    assert _current(workspace) == {"evil": "good"}
    open_tab(app, "Label")
    app.button(key="undo").click().run()
    assert _current(workspace) == {"evil": "bad"}
    assert workspace.labels.history("evil").num_rows == 3


def test_a_map_selection_is_bulk_labelled(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    drawn = app.session_state["_drawn"]
    app.session_state["map"] = {"selection": {"points": [{"curve_number": 0, "point_index": p} for p in (0, 3, 5)]}}
    app.run()
    assert not app.exception
    ids = workspace.docs(columns=["id"])["id"].to_pylist()
    expected = {ids[int(drawn[p])] for p in (0, 3, 5)}
    assert "3 documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]
    open_tab(app, "Label")
    app.button(key="bulk_quality_good").click().run()
    assert not app.exception
    assert _current(workspace) == {i: "good" for i in expected}


def test_a_search_keeps_a_map_selection_and_a_double_click_clears_it(monkeypatch, workspace):
    """A search rings its results, which redraws the map; Streamlit remounts the changed chart,
    whose empty selection was taken for the curator's and cleared the selection."""
    app = _run(monkeypatch, workspace.root)
    app.session_state["map"] = {"selection": {"points": [{"curve_number": 0, "point_index": p} for p in (0, 3, 5)]}}
    app.run()
    selection = [c.value for c in app.caption if c.value.startswith("Selection:")]
    assert selection and "3 documents" in selection[0]
    app.session_state["map"] = {"selection": {"points": [], "box": [], "lasso": []}}  # the remounted chart
    app.sidebar.radio(key="mode").set_value("keyword")
    app.sidebar.text_input(key="query").input("return value").run()
    assert not app.exception and [s.value for s in app.subheader if "results for" in s.value]
    assert [c.value for c in app.caption if c.value.startswith("Selection:")] == selection
    app.session_state["map"] = {"selection": {"points": [{"curve_number": 0, "point_index": 1}]}}
    app.run()
    app.session_state["map"] = {"selection": {"points": [], "box": [], "lasso": []}}  # a double click
    app.run()
    assert not [c.value for c in app.caption if c.value.startswith("Selection:")]


def test_a_cluster_selection_follows_the_filter(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.session_state["selection"] = Selection("cluster 1", cluster=1)
    app.run()
    expected = workspace.count("cluster = 1")
    assert f"cluster 1 · {expected:,} documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]


def test_search_results_become_the_selection_and_search_stays_within_the_filter(monkeypatch, workspace):
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    slider = app.slider(key="rule_tokens")
    low, high = slider.value
    cut = (low + high) // 3
    slider.set_value((low, cut)).run()
    open_tab(app, "Map")
    app.sidebar.radio(key="mode").set_value("keyword").run()
    app.sidebar.text_input(key="query").input("return value").run()
    assert not app.exception
    allowed = set(workspace.select(f"tokens <= {cut}"))
    shown = [d.value for d in app.dataframe if "score" in d.value.columns][0]["id"].tolist()
    assert shown and set(shown) <= allowed
    app.button(key="select_results").click().run()
    assert f"· {len(shown)} documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]


def test_the_labelling_queue_labels_and_skips(monkeypatch, workspace):
    shown = {md(i): i for i in workspace.docs(columns=["id"])["id"].to_pylist()}  # captions escape ids

    def next_id() -> str:
        return shown[[c.value for c in app.caption if "next:" in c.value][0].split("next: ")[1]]

    app = open_tab(_run(monkeypatch, workspace.root), "Label")
    first = next_id()
    app.button(key="queue_good").click().run()
    assert _current(workspace) == {first: "good"}
    second = next_id()
    assert second != first
    app.button(key="queue_skip").click().run()
    third = next_id()
    assert third not in (first, second)
    assert _current(workspace) == {first: "good"}
    app.radio(key="queue_order").set_value("nearest").run()
    assert not app.exception


def test_a_new_label_name_is_saved_in_the_workspace(monkeypatch, workspace):
    app = open_tab(_run(monkeypatch, workspace.root), "Label")
    app.text_input(key="scheme_name").input("topic")
    app.text_input(key="scheme_values").input("code, prose")
    app.button(key="scheme_save").click().run()
    assert not app.exception
    assert workspace.label_scheme()["topic"] == ["code", "prose"]
    open_tab(app, "Map")
    app.text_input(key="open_id").input("evil").run()
    app.button(key="reader_evil_topic_prose").click().run()
    assert _current(workspace, "topic") == {"evil": "prose"}
    open_tab(app, "Label")
    app.text_input(key="scheme_name").input("text")  # a docs column: refused with a message
    app.button(key="scheme_save").click().run()
    assert "taken" in app.error[0].value


def test_a_scheme_saved_elsewhere_shows_at_the_next_rerun(monkeypatch, workspace):
    """The app keeps the scheme between reruns (it was read from disk and the labels
    table on every one); a save from another tab or the CLI, however quick, still shows."""
    import os

    from indexing.curate.label_scheme import SCHEME_FILE

    app = open_tab(_run(monkeypatch, workspace.root), "Label")
    workspace.save_label_scheme({"quality": ["good", "bad"], "topic": ["a", "b"]})
    app.run()
    assert "topic: a, b" in [t.value for t in app.text]
    scheme_file = workspace.root / SCHEME_FILE
    before = scheme_file.stat().st_mtime_ns
    workspace.save_label_scheme({"quality": ["good", "bad"], "topic": ["a", "b", "c"]})
    os.utime(scheme_file, ns=(before, before))  # a second save within the clock's granularity
    app.run()
    assert not app.exception
    assert "topic: a, b, c" in [t.value for t in app.text]
    workspace.labels.add(["evil"], "quality", "odd")  # a value labelled elsewhere joins the scheme
    app.run()
    assert "quality: good, bad, odd" in [t.value for t in app.text]


def test_the_export_form_writes_the_count_it_shows(monkeypatch, workspace):
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    slider = app.slider(key="rule_tokens")
    low, high = slider.value
    slider.set_value((low, (low + high) // 2)).run()
    open_tab(app, "Export")
    shown = [c.value for c in app.caption if c.value.endswith("will be written.")][0]
    count = int(shown.split()[0].replace(",", ""))
    app.text_input(key="export_name").input("subset")
    app.selectbox(key="export_format").set_value("parquet")
    [b for b in app.button if b.label == "Export"][0].click().run()
    assert not app.exception
    folder = workspace.root / "exports" / "subset"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kept"]["documents"] == count < N
    import pyarrow.parquet as pq

    assert sum(pq.read_table(p).num_rows for p in folder.rglob("*.parquet")) == count


def test_a_corpus_with_a_quality_column_starts_without_the_default_label(monkeypatch, indexed_workspace, stdlib_rows):
    rows = [{**r, "quality": i % 3} for i, r in enumerate(stdlib_rows[:30])]
    ws = indexed_workspace(rows)
    app = open_tab(_run(monkeypatch, ws.root), "Label")
    assert not app.exception
    assert [c.value for c in app.caption if c.value.startswith("Define a label name")]
    app.text_input(key="scheme_name").input("grade")
    app.text_input(key="scheme_values").input("keep, drop")
    app.button(key="scheme_save").click().run()
    assert not app.exception
    assert ws.label_scheme() == {"grade": ["keep", "drop"]}
    assert app.button(key="queue_keep") is not None


def test_a_box_on_a_sampled_map_selects_every_kept_document_inside_it(monkeypatch, workspace):
    monkeypatch.setenv("LOUPE_MAP_POINTS", "30")  # draw at most 30 of the 81 documents
    app = _run(monkeypatch, workspace.root)
    assert 0 < len(app.session_state["_drawn"]) <= 30
    assert f"{len(app.session_state['_drawn'])} of 81 documents drawn" in app.caption[0].value
    table = workspace.docs(columns=["id", "x", "y"])
    x, y = table["x"].to_numpy(), table["y"].to_numpy()
    xs, ys = [float(x.min()), float(x.mean())], [float(y.min()), float(y.max())]
    inside = {i for i, a, b in zip(table["id"].to_pylist(), x, y) if xs[0] <= a <= xs[1] and ys[0] <= b <= ys[1]}
    drawn = set(app.session_state["_drawn"].tolist())
    assert len(inside) > len([p for p in drawn if x[p] <= xs[1]])  # more than the drawn points in the box
    app.session_state["map"] = {"selection": {"points": [], "box": [{"x": xs, "y": ys}], "lasso": []}}
    app.run()
    assert f"Selection: map · {len(inside)} documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]
    open_tab(app, "Label")
    app.button(key="bulk_quality_good").click().run()
    assert set(_current(workspace)) == inside


def test_preload_fills_the_caches_the_first_page_reads(monkeypatch, workspace, tmp_path):
    from app import data
    from app.preload import preload

    preload(str(tmp_path / "nowhere"))  # the page explains a missing workspace; preload stays quiet
    path = str(workspace.root)
    preload(path)
    monkeypatch.setattr(data, "read_corpus", lambda ws: pytest.fail("the columns were read again"))
    version = workspace.store.version()
    loaded = data.corpus(path, version)
    assert loaded.size == N
    assert data.snippets(path, version)[loaded.position["evil"]] == EVIL


def test_a_boolean_column_is_a_flag_and_cutting_rules_show_their_overlap(monkeypatch, indexed_workspace, stdlib_rows):
    rows = [{**r, "reviewed": i % 3 == 0} for i, r in enumerate(stdlib_rows[:40])]
    ws = indexed_workspace(rows)
    app = open_tab(_run(monkeypatch, ws.root), "Filters")
    app.checkbox(key="flag_reviewed").check().run()
    assert not app.exception
    assert "kept 14 documents" in _kept(app)
    assert app.sidebar.text_area(key="predicate_text").value == "(`reviewed` = true)"
    assert len(ws.select("reviewed = true")) == 14
    for name in ("chars", "words"):
        low, high = app.slider(key=f"rule_{name}").value
        app.slider(key=f"rule_{name}").set_value((low, (low + high) // 10)).run()
    table = [d.value for d in app.dataframe if "rule" in d.value.columns][0]
    assert table["rule"].tolist() == ["chars", "words"]
    removed_chars = ws.count(f"chars > {app.slider(key='rule_chars').value[1]}")
    assert table["chars"].tolist()[0] == removed_chars


def test_the_rules_overlap_is_counted_only_where_it_is_shown(monkeypatch, workspace):
    """The overlap table (a mask per cutting rule over every row) was counted on every rerun
    of every tab; only the Filters tab shows it."""
    import app.active_filter as active_filter

    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    for name in ("chars", "words"):
        low, high = app.slider(key=f"rule_{name}").value
        app.slider(key=f"rule_{name}").set_value((low, (low + high) // 10)).run()
    assert [d for d in app.dataframe if "rule" in d.value.columns]
    real, counted = active_filter.overlap, []
    monkeypatch.setattr(active_filter, "overlap", lambda *a: counted.append(1) or real(*a))
    for name in ("Map", "Label", "Export"):
        assert not open_tab(app, name).exception, name
    assert counted == []  # no tab but Filters counted it
    table = [d.value for d in open_tab(app, "Filters").dataframe if "rule" in d.value.columns][0]
    assert table["rule"].tolist() == ["chars", "words"] and counted == [1]


def test_flags_and_rules_on_odd_field_names_make_a_predicate_that_works(monkeypatch, indexed_workspace, stdlib_rows):
    """issue 8, defect 2: the app wrote raw field names into its predicate (a flag named
    "it's ok" gave `it's ok = true`), which broke search, export and budget."""
    rows = [{**r, "it's ok": i % 3 == 0, "my size": i} for i, r in enumerate(stdlib_rows[:40])]
    ws = indexed_workspace(rows)
    app = open_tab(_run(monkeypatch, ws.root), "Filters")
    app.checkbox(key="flag_it's ok").check().run()
    app.slider(key="rule_my size").set_value((10, 39)).run()
    assert not app.exception
    predicate = app.sidebar.text_area(key="predicate_text").value
    assert predicate == "(`my size` >= 10) AND (`it's ok` = true)"
    expected = sum(1 for i in range(10, 40) if i % 3 == 0)
    assert f"kept {expected} documents" in _kept(app)
    assert len(ws.select(predicate)) == expected


def test_a_preset_sets_every_published_threshold_at_once(monkeypatch, workspace):
    from indexing.signals.rules import PRESETS

    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    app.button(key="preset_Gopher").click().run()
    assert not app.exception
    predicate = app.sidebar.text_area(key="predicate_text").value
    set_columns = [r.column for r in PRESETS["Gopher"] if f"`{r.column}` " in predicate]  # quoted names
    assert len(set_columns) >= 3  # the rules that cut anything in this corpus show in the predicate
    assert f"kept {len(workspace.select(predicate))} documents" in _kept(app)
    app.button(key="preset_clear").click().run()
    assert app.sidebar.text_area(key="predicate_text").value == ""


def test_train_a_classifier_then_keep_the_top_percent_and_queue_by_uncertainty(monkeypatch, workspace):
    rows = workspace.docs(columns=["id", "kind"]).to_pylist()
    workspace.labels.add([r["id"] for r in rows if r["kind"] == "function_doc"][:8], "quality", "good")
    workspace.labels.add([r["id"] for r in rows if r["kind"] == "function_source"][:8], "quality", "bad")
    app = open_tab(_run(monkeypatch, workspace.root), "Classify")
    app.button(key="train").click().run()
    assert not app.exception
    assert "score_quality" in workspace.store.docs_schema().names
    metrics = [d.value for d in app.dataframe if "ROC AUC" in d.value.columns][0]
    assert metrics["seeds"].tolist() == ["8 + 8"]
    open_tab(app, "Filters")
    app.number_input(key="top_score_quality").set_value(25.0).run()
    assert not app.exception
    kept = int(_kept(app).split("kept ")[1].split(" documents")[0])
    assert abs(kept - 0.25 * N) <= 2
    assert kept == len(workspace.select(app.sidebar.text_area(key="predicate_text").value))
    open_tab(app, "Label")
    app.radio(key="queue_order").set_value("uncertain").run()
    assert not app.exception
    assert [c.value for c in app.caption if "uncertain order · next:" in c.value]
    kept = set(workspace.select(app.sidebar.text_area(key="predicate_text").value))
    candidates = [i for i in workspace.docs(columns=["id"])["id"].to_pylist() if i in kept]  # what the filter keeps
    first = labelling_queue(workspace, candidates, "quality", "representative")[0]
    app.radio(key="queue_order").set_value("representative").run()
    assert not app.exception
    assert [c.value for c in app.caption if f"representative order · next: {md(first)}" in c.value]


def test_duplicates_are_found_shown_side_by_side_and_dropped_by_the_flag(monkeypatch, indexed_workspace, stdlib_rows):
    rows = stdlib_rows[:30] + [{**r, "id": r["id"] + "-copy", "text": "  " + r["text"].upper()} for r in stdlib_rows[:3]]
    ws = indexed_workspace(rows)
    app = open_tab(_run(monkeypatch, ws.root), "Duplicates")
    app.selectbox(key="dedup_method").set_value("exact").run()
    app.button(key="dedup_run").click().run()
    assert not app.exception
    removed = ws.count("dup_keep = false")
    table = {r["id"]: r for r in ws.docs(columns=["id", "dup_group", "dup_keep"]).to_pylist()}
    for original in stdlib_rows[:3]:
        pair = table[original["id"]], table[original["id"] + "-copy"]
        assert pair[0]["dup_group"] == pair[1]["dup_group"] is not None
        assert sorted([pair[0]["dup_keep"], pair[1]["dup_keep"]]) == [False, True]
    assert removed >= 3
    assert [h for h in app.get("html")]  # the side-by-side difference of a group
    open_tab(app, "Filters")
    app.checkbox(key="flag_dup_keep").check().run()
    assert f"kept {33 - removed} documents" in _kept(app)


def test_a_token_budget_becomes_the_selection(monkeypatch, workspace):
    app = open_tab(_run(monkeypatch, workspace.root), "Budget")
    total = int(workspace.docs(columns=["tokens"])["tokens"].to_numpy().sum())
    app.number_input(key="budget_tokens").set_value(total // 3)
    app.selectbox(key="budget_balance").set_value("cluster")
    app.button(key="budget_select").click().run()
    assert not app.exception
    open_tab(app, "Map")
    caption = [c.value for c in app.caption if c.value.startswith("Selection: budget")][0]
    chosen = app.session_state["selection"].ids
    tokens = sum(workspace.by_ids(list(chosen), ["tokens"])["tokens"].to_pylist())
    assert 0 < tokens <= total // 3 and f"budget of {tokens:,} tokens" in caption


def _charts(app) -> list[str]:
    return [c.proto.id for c in app.get("plotly_chart")]


def test_only_the_open_tab_is_drawn(monkeypatch, workspace):
    """issue 8, section 2 point 4 (load): every rerun drew every tab (the map with every
    point, a histogram per column, the queue, ...), so a threshold move or a search cost a
    whole page of figures. Only the open tab's body runs; the sidebar always does."""
    app = _run(monkeypatch, workspace.root)
    assert not app.exception
    assert "_drawn" in app.session_state  # the map
    assert not app.slider and not [b for b in app.button if b.key in ("undo", "train", "dedup_run", "budget_select")]
    assert len(app.get("plotly_chart")) == 1  # the map, no histogram
    assert app.sidebar.text_input(key="query") is not None
    open_tab(app, "Filters")
    assert not app.exception
    assert app.slider(key="rule_tokens") is not None
    assert len(app.get("plotly_chart")) == len(app.slider)  # one histogram per rule, no map
    assert not [c for c in app.caption if c.value.endswith("documents drawn")]
    open_tab(app, "Label")
    assert not app.slider and not app.get("plotly_chart")
    assert app.button(key="undo") is not None


def test_a_closed_column_group_draws_nothing_and_its_thresholds_hold(monkeypatch, workspace):
    """issue 8, section 2 point 4 (load): the Filters tab drew a histogram and a slider for
    every column (35 at a million rows, most of a threshold move). Only open groups draw;
    a threshold set in a group keeps filtering once the group is closed; a preset opens the
    groups it sets."""
    from app.data import read_corpus
    from app.tabs.filters import column_groups, group_key

    groups = column_groups(read_corpus(workspace).filterable)
    assert {"Signals", "Gopher", "FineWeb"} <= set(groups)
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    assert {s.key for s in app.slider} == {f"rule_{n}" for n in groups["Signals"]}
    assert len(app.get("plotly_chart")) == len(groups["Signals"])
    open_group(app, "Gopher")
    name = groups["Gopher"][0]
    low, high = app.slider(key=f"rule_{name}").value
    app.slider(key=f"rule_{name}").set_value((low, (low + high) / 2)).run()
    kept, predicate = _kept(app), app.sidebar.text_area(key="predicate_text").value
    assert f"`{name}`" in predicate and f"kept {N} documents" not in kept
    # the group stays open once a rule in it cuts (a keyed expander whose title changed was a new one, closed)
    assert f"rule_{name}" in {s.key for s in app.slider}
    app.slider(key=f"rule_{name}").set_value((low, (low + high) / 3)).run()
    assert f"rule_{name}" in {s.key for s in app.slider}
    kept, predicate = _kept(app), app.sidebar.text_area(key="predicate_text").value
    app.session_state[group_key("Gopher")] = False
    app.run()
    assert not app.exception and f"rule_{name}" not in {s.key for s in app.slider}
    assert _kept(app) == kept and app.sidebar.text_area(key="predicate_text").value == predicate
    open_tab(app, "Map")
    open_tab(app, "Filters")
    assert _kept(app) == kept
    app.button(key="preset_FineWeb").click().run()
    assert not app.exception
    assert {f"rule_{n}" for n in groups["FineWeb"]} <= {s.key for s in app.slider}


def test_the_filter_and_the_selection_hold_while_other_tabs_are_open(monkeypatch, workspace):
    """Widgets of a closed tab are not drawn, yet the thresholds set in the Filters tab
    keep filtering every tab, the sliders keep their values, and a box drawn on the map
    stays the selection after a visit to another tab."""
    app = open_tab(_run(monkeypatch, workspace.root), "Filters")
    low, high = app.slider(key="rule_tokens").value
    cut = (low + high) // 3
    app.slider(key="rule_tokens").set_value((low, cut)).run()
    expected = workspace.count(f"tokens <= {cut}")
    assert f"kept {expected} documents" in _kept(app)
    for name in ("Map", "Export", "Label", "Map"):
        open_tab(app, name)
        assert not app.exception
        assert f"kept {expected} documents" in _kept(app), name
    assert f"{expected:,} of {N} documents drawn" in app.caption[0].value
    app.session_state["map"] = {"selection": {"points": [{"curve_number": 0, "point_index": p} for p in (0, 1)]}}
    app.run()
    assert "2 documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]
    open_tab(app, "Label")
    assert md("the selection: map (2)") in app.radio(key="bulk_target").options
    open_tab(app, "Map")
    assert "2 documents" in [c.value for c in app.caption if c.value.startswith("Selection:")][0]
    open_tab(app, "Filters")
    assert app.slider(key="rule_tokens").value == (low, cut)
    assert f"kept {expected} documents" in _kept(app)


@pytest.mark.parametrize("mode", ["meaning", "keyword"])
def test_a_search_within_the_filter_finds_what_the_engine_finds_among_the_kept_ids(workspace, mode):
    """The app searches within the filter by asking for more hits and keeping those its mask
    keeps (handing the engine a million kept ids took seconds); the top 20 are the same as
    the engine's search restricted to the kept ids, for a wide filter and a narrow one."""
    from app import data

    corpus = data.read_corpus(workspace)
    find = workspace.search if mode == "meaning" else workspace.keyword_search
    tokens = corpus.values_of["tokens"]
    for cut in (np.quantile(tokens, 0.7), np.quantile(tokens, 0.05)):
        keep = tokens <= cut
        allowed = corpus.ids_where(keep)
        for query in ("return value", "parse a json document", "path"):
            expected = find(query, k=20, columns=["id", "text"], ids=allowed)
            found = data.search_within(find, query, corpus, keep)
            scores = found["_score"].to_pylist()
            assert scores == pytest.approx(expected["_score"].to_pylist()), (cut, query)
            last = min(scores) if scores else None  # documents tied with the 20th may swap places
            above = {i for i, s in zip(found["id"].to_pylist(), scores) if s > last + 1e-6}
            assert above == {i for i, s in zip(expected["id"].to_pylist(), scores) if s > last + 1e-6}
            assert set(found["id"].to_pylist()) <= set(allowed)


def test_the_map_says_how_many_points_are_placed_not_fitted(monkeypatch, workspace, stdlib_rows, tmp_path):
    """issue 10, point 4: documents added after the map was fitted are placed beside their
    nearest neighbours; the map's caption says how many, and how to fit the map again."""
    app = _run(monkeypatch, workspace.root)
    assert app.caption[0].value.endswith(f"of {N} documents drawn")
    workspace.index([write_jsonl(tmp_path / "more.jsonl", stdlib_rows[100:112])])
    app = _run(monkeypatch, workspace.root)
    assert not app.exception
    caption = app.caption[0].value
    assert f"{N + 12} of {N + 12} documents drawn · 12 marked as placed, not fitted" in caption
    assert "loupe index --remap" in caption
