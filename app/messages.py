"""The one message line above the tabs: what the last click did, shown once.

A click may come from any tab (a label button in the reader, a training run, a
budget), and its callback runs before the page redraws, so the message waits in
session state until the next run shows it. Every message is plain text that quotes
data (names, values, errors, paths): shown through `md`, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from components.text import md

MESSAGE = "label_message"  # the session-state key (named when only labels spoke; kept as it was)


def say(kind: str, text: str) -> None:
    """Keep `text` for the next run to show, as `st.<kind>` (success, info, error)."""
    st.session_state[MESSAGE] = (kind, text)


def show_message() -> None:
    """What the last click did, shown once, where this is called (above the tabs, atop a fragment)."""
    kind, text = st.session_state.pop(MESSAGE, (None, None))
    if kind:
        getattr(st, kind)(md(text))
