"""components.text.md: data put into Streamlit Markdown renders as exactly its text
(issue 8, defect 12: ids, column names and label values reached Markdown, and an id
`![x](http://...)` in a caption fetched a remote image).

Rendering is checked with markdown-it-py (CommonMark plus GFM tables and
strikethrough; streamlit depends on it), and Streamlit's own extensions by the
patterns its frontend applies: `:material/` before parsing, `$` for LaTeX, and the
logo, icon and arrow rewrites of the parsed text.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from components.text import JOINER, md

RENDER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HOSTILE = [
    "![x](http://127.0.0.1:9/x.png)", "**b**", "<b>x</b>", ":red[x]", "$x$", "$$x$$", "[a](javascript:x)",
    "<http://x>", "www.example.com", "a@b.co", "`code`", "# heading", "- item", "1. item", "> quote",
    "a | b\n- | -\n1 | 2", "a\n===", "---", "    indented", "~~gone~~", "_i_ *i*", "\\*not bold\\*",
    ":smile:", ":streamlit:", ":material/home:", ":material_home:", "a -> b", "<->", "x >= 3", "-- x",
    ":blue-background[x]", "&amp; &#60;", "line one\nline two", "a\n\nb", "trailing  \nspaces ", "\tx",
    "{attr}", "^[note]", "__phello__.spam:main:function_source:3",
    "\xa0", "\u3000x\u2003",  # Unicode white space at the ends is trimmed by Markdown too
]


def _plain(value: str) -> str:
    """What markdown-it shows for `value` if it is shown literally: one paragraph, breaks as <br />."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return escaped.replace("\n", "<br />\n")


def _check(value: str) -> None:
    markdown = md(value)
    expected = value.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    rendered = RENDER.render(markdown)
    if expected:
        assert rendered.replace(JOINER, "") == f"<p>{_plain(expected)}</p>\n", (value, markdown, rendered)
    else:
        assert rendered == ""
    # Streamlit, before parsing: `:material/` becomes an icon; an unescaped `$` may open LaTeX
    assert ":material/" not in markdown
    assert not re.search(r"(?<!\\)\$", markdown)
    # Streamlit, on the parsed text: the logo, Material icons and typographic arrows
    shown = rendered[3:-5] if rendered else ""
    assert not re.search(r":streamlit:|:material_\w+:", shown)
    assert not re.search(r"(^|\s)(<->|->|<-|--|&gt;=|&lt;=|~=|>=|<=)(\s|$)", shown, re.MULTILINE)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_markdown_renders_as_its_text(value):
    _check(value)
    assert "<img" not in RENDER.render(md(value)) and "<a " not in RENDER.render(md(value))


def test_the_image_id_is_escaped_piece_by_piece():
    assert md("![x](http://h/x.png)") == r"\!\[x\]\(http\:\/\/h\/x\.png\)"
    assert md(3) == "3" and md("plain words") == "plain words"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2060")
               | st.sampled_from(list("\n\t \\`*_{}[]()#+-.!|~<>$:/&=@^")), max_size=60))
def test_any_text_renders_as_itself(value):
    _check(value)
