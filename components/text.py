"""Data shown as text where Streamlit takes Markdown: captions, labels, buttons, messages.

Streamlit renders every caption, subheader, message and widget label (radio options
too) as GitHub Markdown plus its own extensions: `:red[...]` colours, `:material/x:`
icons, `$...$` LaTeX, emoji and `:streamlit:` shortcodes, and `->` / `>=` typography.
A document id `![x](http://host/x.png)` in a caption fetched that image. `md` turns a
piece of data into Markdown that renders as exactly its characters: pass every id,
column name, label value, query, path and message through it, and keep Markdown only
for the fixed words around it. (st.text, st.code and st.dataframe show data plainly.)
"""

from __future__ import annotations

import re

# ASCII punctuation Markdown, GFM or Streamlit give a meaning to (CommonMark lets a
# backslash escape any ASCII punctuation); "/" breaks `:material/`, which Streamlit
# rewrites before parsing, and "." / "@" break GFM's www. and e-mail autolinks.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:/&=@^])")
# Streamlit rewrites a few patterns in the parsed text, after escapes are resolved, so
# no escape stops them: a WORD JOINER (U+2060, invisible) inside each one does.
JOINER = "\u2060"
_ICON = re.compile(r":(?=streamlit:|material_\w+:)")  # the logo and Material icons
_ARROW = re.compile(r"(?:(?<=\s)|^)(?=(?:<->|->|<-|--|>=|<=|~=)(?:\s|$))(.)", re.MULTILINE)  # -> becomes →
# 4 spaces open a code block, and a paragraph's ends are trimmed of any Unicode white space (U+00A0 too)
_EDGES = re.compile(r"^[^\S\n]+|[^\S\n]+$", re.MULTILINE)


def md(value: object) -> str:
    """`value` as Markdown that Streamlit shows literally (line breaks kept as breaks)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    text = _ARROW.sub(r"\1" + JOINER, _ICON.sub(":" + JOINER, text))
    text = _SPECIAL.sub(r"\\\1", text)
    text = _EDGES.sub(lambda m: "".join(f"&#{ord(c)};" for c in m.group()), text)
    return text.replace("\n", "\\\n")
