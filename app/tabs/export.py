"""The Export tab: the current filter and/or selection, written by the engine; or saved as a recipe.

The count shown before export is computed from the same filter and selection the
export receives, and the engine's manifest records what was really written. A selection
the Budget tab made is exported (and saved as a recipe) with its budget, so the recipe
re-chooses on any corpus. *Save as recipe* writes the current filter (and the selection,
or its budget) with the form's output settings, and shows the recipe in words.
The predicate, the selection and paths are data: in labels and messages they go through `md`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st

from app import session
from app.active_filter import Filter
from app.session import KEEP
from app.tabs import Context
from components.progress import StreamlitReporter
from components.text import md
from indexing.errors import LoupeError
from indexing.workspace.disk import os_error_message
from indexing.exports.export import FORMATS, INTERNAL_COLUMNS, export
from indexing.recipes import Output, save_recipe
from indexing.recipes.explain import explain

RESULT = "export_result"
RECIPE_RESULT = "recipe_result"


def show(ctx: Context) -> None:
    """The Export tab: the export form, with what the filter keeps and the selection."""
    _tab(ctx.workspace, ctx.corpus, ctx.active, ctx.selected, ctx.what)


@st.fragment  # submitting reruns the form only
def _tab(workspace, corpus, active: Filter, selected: list[str], what: str | None) -> None:
    columns = [c for c in workspace.store.docs_schema().names if c not in INTERNAL_COLUMNS]
    with st.form("export"):
        name = st.text_input("Name (a folder under exports/; empty: export-<time>)", key="export_name", persist_state=KEEP)
        left, right = st.columns(2)
        format = left.selectbox("Format", FORMATS, key="export_format", persist_state=KEEP,
                                format_func={"jsonl": "JSONL", "parquet": "Parquet", "hf": "Hugging Face dataset"}.get)
        shard_rows = right.number_input("Rows per file (0: one file)", min_value=0, value=0, step=10_000,
                                        key="export_shard_rows", persist_state=KEEP)
        chosen = st.multiselect("Columns", columns, default=columns, key="export_columns", persist_state=KEEP)
        use_filter = st.checkbox(f"Only what the filter keeps: {md(active.predicate or 'no filter')}", value=True,
                                 key="export_use_filter", persist_state=KEEP)
        use_selection = st.checkbox(f"Only the selection ({md(what or 'nothing selected')}, {len(selected):,})",
                                    value=False, key="export_use_selection", persist_state=KEEP, disabled=not selected)
        removed = st.checkbox("Also write the removed documents (under removed/)", key="export_removed", persist_state=KEEP)
        submitted = st.form_submit_button("Export", type="primary")
    where = active.predicate if use_filter else None
    ids = selected if use_selection and selected else None
    st.caption(f"{_count(corpus, active, where, ids):,} documents will be written.")
    if submitted:
        try:
            result = export(workspace, name.strip() or None, where=where, ids=ids, format=format,
                            columns=chosen or None, shard_rows=int(shard_rows) or None, include_removed=removed,
                            progress=StreamlitReporter(), budget=session.budget_of(where, ids))
        except (LoupeError, FileExistsError) as error:
            st.error(md(error))
            return
        except OSError as error:  # a full disk, a name too long: the export is atomic, nothing was written
            st.error(md(f"nothing exported: {os_error_message(error, workspace.root / 'exports')}"))
            return
        st.session_state[RESULT] = (str(result.path), result.kept, result.manifest)
    if RESULT in st.session_state:
        path, kept, manifest = st.session_state[RESULT]
        st.success(f"Wrote {kept:,} documents to {md(path)}")
        with st.expander("manifest.json"):
            st.code(json.dumps(manifest, indent=2), language="json")
    output = Output(format=format, columns=None if not chosen or chosen == columns else chosen,
                    shard_rows=int(shard_rows) or Output().shard_rows)
    _save_recipe(workspace, active.predicate, selected, what, output)


def _save_recipe(workspace, where: str | None, selected: list[str], what: str | None, output: Output) -> None:
    """*Save as recipe*: the filter, the selection (or the budget that made it) and the output."""
    st.subheader("Save as recipe")
    budget = session.budget_of(where, selected) if selected else None
    use_selection = st.checkbox(f"With the selection ({md(what or 'nothing selected')}, {len(selected):,}"
                                f"{', as its token budget' if budget else ''})", value=budget is not None,
                                key="recipe_use_selection", disabled=not selected)
    st.caption(f"The recipe keeps what the filter keeps ({md(where or 'no filter')}); `loupe apply` applies it "
               "to any corpus.")
    default = Path(workspace.root) / "recipes" / "curation.yaml"
    path = st.text_input("Recipe file (NAME.yaml; its assets go to NAME.assets/ beside it)", value=str(default),
                         key="recipe_path", persist_state=KEEP)
    replace = st.checkbox("Replace the file if it exists", key="recipe_replace")
    if st.button("Save as recipe", key="recipe_save"):
        chosen = selected if use_selection and selected else None
        try:
            saved, recipe = save_recipe(workspace, path.strip(), where=where,
                                        ids=chosen if budget is None else None,
                                        budget=budget if chosen else None, output=output, overwrite=replace)
        except LoupeError as error:
            st.error(md(error))
            return
        except OSError as error:
            st.error(md(f"no recipe written: {os_error_message(error, Path(path.strip()).parent)}"))
            return
        st.session_state[RECIPE_RESULT] = (str(saved), explain(recipe))
    if RECIPE_RESULT in st.session_state:
        saved, lines = st.session_state[RECIPE_RESULT]
        st.success(f"Saved the recipe {md(saved)}")
        st.markdown("\n".join(f"- {md(line)}" for line in lines))


def _count(corpus, active: Filter, where: str | None, ids: list[str] | None) -> int:
    keep = active.keep if where else np.ones(corpus.size, dtype=bool)
    if ids is None:
        return int(np.count_nonzero(keep))
    return sum(1 for i in ids if keep[corpus.position[i]])
