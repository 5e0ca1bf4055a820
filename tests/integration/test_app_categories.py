"""The Filters tab's string columns and exact bounds through AppTest, on a real LanceDB workspace:
what the widgets keep is what the engine selects with the predicate they write."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import run_app, open_group, open_tab



@pytest.fixture()
def workspace(indexed_workspace, stdlib_rows):
    """Stdlib documents with a url (a `domain` comes of it; the url itself is a text column)."""
    rows = [{**r, "url": f"https://www.{r['module'].split('.')[0]}.Example.org/{i}"}
            for i, r in enumerate(stdlib_rows[:60])]
    return indexed_workspace(rows)


def _run(monkeypatch, path) -> AppTest:
    return open_tab(run_app(monkeypatch, path), "Filters")


def _predicate(app) -> str:
    return app.sidebar.text_area(key="predicate_text").value


def _kept(app) -> str:
    return app.sidebar.caption[1].value


def test_keeping_and_removing_category_values_is_one_predicate_the_engine_agrees_with(monkeypatch, workspace):
    app = open_group(_run(monkeypatch, workspace.root), "Categories")
    assert not app.exception
    assert {"kind", "module", "domain"} <= {m.key[len("cat_in_"):] for m in app.multiselect if m.key.startswith("cat_in_")}
    assert "url" not in {m.key for m in app.multiselect}
    kinds = app.multiselect(key="cat_in_kind").options
    app.multiselect(key="cat_in_kind").set_value([kinds[0]]).run()
    domains = app.multiselect(key="cat_out_domain").options
    assert all(d.endswith(".example.org") and not d.startswith("www.") for d in domains)
    app.multiselect(key="cat_out_domain").set_value([domains[0]]).run()
    assert not app.exception
    where = _predicate(app)
    assert where == (f"(`kind` IN ('{kinds[0]}')) AND "
                     f"((`domain` IS NULL OR `domain` NOT IN ('{domains[0]}')))")
    selected = workspace.select(where)
    assert 0 < len(selected) < workspace.count()
    assert f"kept {len(selected)} documents" in _kept(app)
    table = [d.value for d in app.dataframe if "rule" in d.value.columns][0]  # the overlap table
    assert table["rule"].tolist() == ["kind", "domain"]
    app.button(key="preset_clear").click().run()
    assert _predicate(app) == "" and app.multiselect(key="cat_in_kind").value == []


def test_contains_and_regex_on_a_text_column_and_a_bad_regex_is_a_message(monkeypatch, workspace):
    app = open_group(_run(monkeypatch, workspace.root), "Text columns")
    app.text_input(key="contains_url").input(".Example.org/1").run()
    assert not app.exception
    assert _predicate(app) == "(contains(`url`, '.Example.org/1'))"
    assert len(workspace.select(_predicate(app))) == 11  # /1 and /10 ... /19
    assert "kept 11 documents" in _kept(app)
    app.text_input(key="regex_url").input("/1[0-4]$").run()
    assert len(workspace.select(_predicate(app))) == 5 and "kept 5 documents" in _kept(app)
    app.text_input(key="regex_url").input("(unclosed").run()
    assert not app.exception
    assert any("'url'" in e.value and "regular expression" in e.value for e in app.error)
    assert _predicate(app) == "(contains(`url`, '.Example.org/1'))"  # the bad regex is not applied


def test_a_long_tailed_column_takes_exact_bounds(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    low, high = app.slider(key="rule_chars").value
    assert high / max(low, 1) >= 100  # chars spans orders of magnitude here
    app.number_input(key="low_chars").set_value(low + 37).run()
    assert app.slider(key="rule_chars").value == (low + 37, high)
    assert _predicate(app) == f"(`chars` >= {low + 37})"
    assert f"kept {workspace.count(f'chars >= {low + 37}')} documents" in _kept(app)


def test_the_fineweb_english_preset_sets_a_category_and_a_threshold(monkeypatch, workspace):
    app = _run(monkeypatch, workspace.root)
    app.button(key="preset_FineWeb English").click().run()
    assert not app.exception
    assert app.multiselect(key="cat_in_lang").value == ["en"]  # the Categories group opened with it
    where = _predicate(app)
    assert "`lang_score` >= 0.65" in where and "(`lang` IN ('en'))" in where
    assert f"kept {len(workspace.select(where))} documents" in _kept(app)
