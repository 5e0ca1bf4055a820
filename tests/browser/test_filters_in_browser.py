"""The Filters tab's categories, text conditions and exact bounds in a real browser: each
test picks or types as a curator does, then checks the kept count against the engine."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_app_in_browser import N, TIMEOUT, _kept, _settle, _settle_on, _sidebar


def _predicate(page) -> str:
    return _sidebar(page).locator("textarea").input_value()


def _open_group(page, title: str) -> None:
    page.get_by_role("tab", name="Filters").click()
    page.locator("summary", has_text=f"{title} (").click()
    _settle(page)


def test_picking_a_category_value_changes_the_kept_count_and_the_bars(page, workspace):
    assert _kept(page) == N
    _open_group(page, "Categories")
    expect(page.locator(".st-key-bars_kind .js-plotly-plot")).to_be_visible(timeout=TIMEOUT)
    page.locator(".st-key-cat_in_kind").click()
    page.get_by_role("option", name="function_doc", exact=True).click()
    page.keyboard.press("Escape")
    _settle_on(page, r"`kind` IN")
    assert _predicate(page) == "(`kind` IN ('function_doc'))"
    assert _kept(page) == workspace.count("kind = 'function_doc'") < N
    page.locator(".st-key-cat_out_domain").click()
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    _settle_on(page, r"`domain` NOT IN \(")
    where = _predicate(page)
    assert "`domain` NOT IN (" in where
    assert _kept(page) == len(workspace.select(where)) < workspace.count("kind = 'function_doc'")


def test_typing_contains_and_a_regex_on_a_text_column_changes_the_kept_count(page, workspace):
    _open_group(page, "Text columns")
    contains = page.locator(".st-key-contains_url input")
    contains.fill(".example.org/1")
    contains.press("Enter")
    _settle_on(page, r"contains\(`url`")
    assert _kept(page) == len(workspace.select("contains(url, '.example.org/1')")) < N
    regex = page.locator(".st-key-regex_url input")
    regex.fill("/1[0-9]$")
    regex.press("Enter")
    _settle_on(page, r"regexp_like\(`url`")
    assert _kept(page) == 10  # /10 ... /19
    regex.fill("(unclosed")
    regex.press("Enter")
    expect(page.get_by_text(re.compile("regular expression"))).to_be_visible(timeout=TIMEOUT)
    _settle(page)
    assert _predicate(page) == "(contains(`url`, '.example.org/1'))"


def test_an_exact_bound_on_a_long_tailed_column_moves_the_slider_and_the_count(page, workspace):
    page.get_by_role("tab", name="Filters").click()
    low = page.locator(".st-key-low_chars input")
    low.scroll_into_view_if_needed()
    low.fill("500")
    low.press("Enter")
    _settle_on(page, r"`chars` >= 500")
    assert _predicate(page) == "(`chars` >= 500)"
    assert _kept(page) == workspace.count("chars >= 500") < N
    assert page.locator('input[aria-label="chars — start"]').get_attribute("value") == "500"


def test_the_fineweb_english_preset_button_keeps_english_above_its_score(page, workspace):
    page.get_by_role("tab", name="Filters").click()
    page.get_by_role("button", name="FineWeb English preset").click()
    _settle_on(page, "lang_score")
    where = _predicate(page)
    assert "(`lang` IN ('en'))" in where and "`lang_score` >= 0.65" in where
    assert _kept(page) == len(workspace.select(where)) == workspace.count("lang = 'en' AND lang_score >= 0.65")
