"""Label buttons: one row per label name, one button per value, and clear.

Shared by the Label tab (bulk labels) and the Map tab's reader (one document). Every
click is one `labels.add` (an append to the `labels` table) made in a widget callback,
so it is stored before the page redraws; what it did is the next message. Label
names and values are data: on buttons and in messages they go through `md`.
Every label carries its author: the name the Label tab asks for (kept in the session
under AUTHOR, so the Map tab's reader labels as the same person), else the login name.
"""

from __future__ import annotations

import streamlit as st

from app.messages import say
from components.text import md
from indexing.workspace.disk import os_error_message
from indexing.errors import LabelError
from indexing.curate.labels import default_author

AUTHOR = "label_author"  # the Label tab's "Labelling as" input


def current_author() -> str:
    """Who labels in this session: the name given in the Label tab, else the login name."""
    given = st.session_state.get(AUTHOR)
    return given.strip() if isinstance(given, str) and given.strip() else default_author()


def add_label(workspace, ids: list[str], name: str, value: str | None) -> None:
    """Label `ids` with `name = value` (None clears), in a click's callback: the outcome is the next message."""
    try:
        workspace.labels.add(ids, name, value, author=current_author())
    except LabelError as error:
        say("error", str(error))
        return
    except OSError as error:  # a full disk: the add is one write, so nothing was stored
        say("error", f"nothing labelled: {os_error_message(error, workspace.root)}")
        return
    shown = "cleared" if value is None else f"{name} = {value}"
    say("success", f"{shown} on {len(ids):,} document{'s' * (len(ids) != 1)}")


def label_buttons(workspace, scheme: dict[str, list[str]], ids: list[str], key: str) -> None:
    """A row of buttons per label name: one per value, and clear."""
    for name, values in scheme.items():
        cells = st.columns(len(values) + 2)
        cells[0].caption(md(name))
        for cell, value in zip(cells[1:], values):
            cell.button(md(value), key=f"{key}_{name}_{value}", on_click=add_label, args=(workspace, ids, name, value),
                        use_container_width=True)
        cells[-1].button("clear", key=f"{key}_{name}_clear", on_click=add_label, args=(workspace, ids, name, None),
                         use_container_width=True)
