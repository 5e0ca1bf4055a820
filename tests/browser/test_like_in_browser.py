"""Search by example in a real browser: a box drawn on the map with the mouse, then a click on
"More like these"; the rings the map draws are checked against the engine's `more_like` of the
documents inside the box (real model, LanceDB and FAISS)."""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import expect

from tests.browser.test_app_in_browser import MAP, TIMEOUT, _settle


def _box(page, workspace, share=(0.15, 0.75)) -> list[str]:
    """Drag a box over the middle of the map; the ids of the documents inside it."""
    page.locator(MAP).hover()
    page.locator(f'{MAP} .modebar-btn[data-title="Box Select"]').click()
    area = page.locator(f"{MAP} .nsewdrag").bounding_box()
    low, high = share
    page.mouse.move(area["x"] + area["width"] * low, area["y"] + area["height"] * low)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * high, area["y"] + area["height"] * high, steps=12)
    page.mouse.up()
    xr, yr = page.evaluate(f"() => {{ const l = document.querySelector('{MAP}')._fullLayout;"
                           " return [l.xaxis.range, l.yaxis.range]; }")
    left, right = (xr[0] + (xr[1] - xr[0]) * f for f in share)
    top, bottom = (yr[1] - (yr[1] - yr[0]) * f for f in share)
    table = workspace.docs(columns=["id", "x", "y"])
    x, y = table["x"].to_numpy(), table["y"].to_numpy()
    inside = (x >= left) & (x <= right) & (y >= bottom) & (y <= top)
    return [i for i, keep in zip(table["id"].to_pylist(), inside) if keep]


def _ringed(page, workspace) -> list[str]:
    """The ids of the points the map rings as results (matched to the workspace by x, y)."""
    xs, ys = page.evaluate(f"() => {{ const t = document.querySelector('{MAP}')._fullData"
                           ".find(d => d.name === 'results'); return t ? [t.x, t.y] : [[], []]; }")
    table = workspace.docs(columns=["id", "x", "y"])
    x, y, ids = np.asarray(table["x"].to_numpy(), np.float64), np.asarray(table["y"].to_numpy(), np.float64), \
        table["id"].to_pylist()
    return [ids[int(np.argmin((x - a) ** 2 + (y - b) ** 2))] for a, b in zip(xs, ys)]


def test_more_like_a_box_on_the_map_rings_the_engines_hits(page, workspace):
    inside = _box(page, workspace)
    assert len(inside) > 1
    expect(page.get_by_text(re.compile(r"Selection: map · \d+ documents"))).to_be_visible(timeout=TIMEOUT)
    selected = int(re.search(r"· (\d+) documents", page.get_by_text(re.compile(r"Selection: map")).inner_text()).group(1))
    page.locator(".st-key-map_like_more").get_by_role("button", name="More like these").click()
    _settle(page)
    title = f"more like the map selection ({selected} documents)"
    expect(page.get_by_test_id("stSidebar").get_by_text(f"Showing: {title}")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(f"20 results for “{title}”")).to_be_visible(timeout=TIMEOUT)
    # the examples stay selected (the chart redrawn with rings forgets its box): ask again about them
    expect(page.get_by_text(f"Selection: the map selection · {selected} documents")).to_be_visible(timeout=TIMEOUT)
    ringed = _ringed(page, workspace)
    expected = workspace.more_like(inside, k=20, columns=["id"])["id"].to_pylist()
    assert len(ringed) == 20 and not set(ringed) & set(inside)
    if selected == len(inside):  # the box's edge fell between points: the very same examples
        assert set(ringed) == set(expected)
    else:  # a point on the edge fell the other way: one example more or less moves the centroid a little
        assert abs(selected - len(inside)) <= 1 and len(set(ringed) & set(expected)) >= 17
    page.locator(".st-key-map_like_least").get_by_role("button", name="Least like these").click()
    _settle(page)
    title = f"least like the map selection ({selected} documents)"
    expect(page.get_by_text(f"20 results for “{title}”")).to_be_visible(timeout=TIMEOUT)
    if selected == len(inside):
        expected = workspace.least_like(inside, k=20, columns=["id"])["id"].to_pylist()
        assert set(_ringed(page, workspace)) == set(expected)
    page.get_by_test_id("stSidebar").locator(".st-key-like_clear button").click()
    _settle(page)
    expect(page.get_by_text(re.compile(r"Showing: "))).to_have_count(0)
