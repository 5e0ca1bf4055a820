"""Two texts side by side with their differences marked: how a duplicate differs.

Lines are matched first (difflib), then the words inside changed lines, so a
sentence added to a page marks that sentence and a changed word marks that word.
The left side marks what only `a` has (`<del>`), the right side what only `b` has
(`<ins>`). Every piece of document text goes through `html.escape` before it is
wrapped, so a document holding `<script>` or any markup is shown as text, never
rendered; the only tags in the result are the ones built here.
"""

from __future__ import annotations

import difflib
import html
import re

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
MAX_CHARS = 100_000  # per side; a longer text is cut and says so
MAX_WORD_PAIRS = 4_000_000  # word-level matching of one changed block costs up to (words a) x (words b)

_PANE = ("margin:0;padding:0.5rem;white-space:pre-wrap;overflow-wrap:anywhere;"
         "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:0.85rem;line-height:1.35;"
         "border:1px solid rgba(128,128,128,0.35);border-radius:0.25rem")
_DEL = '<del style="background:rgba(255,80,80,0.28);text-decoration:none">'
_INS = '<ins style="background:rgba(40,180,80,0.28);text-decoration:none">'
_TITLE = "font-size:0.8rem;opacity:0.7;margin-bottom:0.25rem"


def _plain(text: str) -> str:
    return html.escape(text, quote=True)


def _marked(text: str, opening: str, closing: str) -> str:
    return f"{opening}{html.escape(text, quote=True)}{closing}" if text else ""


def _words(a: str, b: str, left: list[str], right: list[str]) -> None:
    """Mark the changed words of one changed block of lines."""
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    if len(ta) * len(tb) > MAX_WORD_PAIRS:
        left.append(_marked(a, _DEL, "</del>"))
        right.append(_marked(b, _INS, "</ins>"))
        return
    matcher = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pa, pb = "".join(ta[i1:i2]), "".join(tb[j1:j2])
        if tag == "equal":
            left.append(_plain(pa))
            right.append(_plain(pb))
        else:
            left.append(_marked(pa, _DEL, "</del>"))
            right.append(_marked(pb, _INS, "</ins>"))


def _cut(text: str, limit: int) -> tuple[str, str]:
    if len(text) <= limit:
        return text, ""
    return text[:limit], f"\n… ({len(text) - limit:,} more characters not compared)"


def diff_html(a: str, b: str, left_title: str | None = None, right_title: str | None = None,
              max_chars: int = MAX_CHARS) -> str:
    """HTML of `a` (left) and `b` (right) side by side, what differs highlighted:
    on the left what only `a` has, on the right what only `b` has. Safe to render:
    all text (titles included) is escaped."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("diff_html compares two strings")
    a, a_rest = _cut(a, max_chars)
    b, b_rest = _cut(b, max_chars)
    lines_a, lines_b = a.splitlines(keepends=True), b.splitlines(keepends=True)
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(None, lines_a, lines_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        block_a, block_b = "".join(lines_a[i1:i2]), "".join(lines_b[j1:j2])
        if tag == "equal":
            left.append(_plain(block_a))
            right.append(_plain(block_b))
        elif tag == "replace":
            _words(block_a, block_b, left, right)
        else:  # delete or insert: one side is empty
            left.append(_marked(block_a, _DEL, "</del>"))
            right.append(_marked(block_b, _INS, "</ins>"))
    left.append(_plain(a_rest))
    right.append(_plain(b_rest))
    panes = []
    for title, body in ((left_title, left), (right_title, right)):
        heading = f'<div style="{_TITLE}">{_plain(title)}</div>' if title else ""
        panes.append(f'<div style="flex:1 1 0;min-width:0">{heading}<pre style="{_PANE}">{"".join(body)}</pre></div>')
    return f'<div class="loupe-diff" style="display:flex;gap:0.75rem;align-items:flex-start">{"".join(panes)}</div>'
