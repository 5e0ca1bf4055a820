"""The Loupe app: the corpus as a map, filters, search, and a reader.

Started by `loupe app -w WS`, which passes the workspace in LOUPE_WORKSPACE. Pages
get their data from `indexing` and their pieces from `components`; nothing here
opens storage itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import streamlit as st

from app.data import map_columns, open_workspace
from components.map_figure import display_sample, map_figure
from indexing import WorkspaceError
from indexing.filters import Rule, as_float, combined_predicate, default_bounds, summarize
from indexing.lock import is_busy

st.set_page_config(page_title="Loupe", layout="wide")


def _stop(message: str) -> None:
    st.title("Loupe")
    st.info(message)
    st.stop()


path = os.environ.get("LOUPE_WORKSPACE", "")
if not path or not (Path(path) / "workspace.json").exists():
    _stop(f"No Loupe workspace at `{path or '(none given)'}`. Create one with `loupe index SOURCE -w {path or 'WS'}`.")
if is_busy(Path(path)):
    _stop(f"`{path}` is still being indexed. This page will be ready when `loupe index` finishes; reload then.")
try:
    workspace = open_workspace(path)
except WorkspaceError as error:
    _stop(str(error))
info = workspace.info()
if not info["ready"]:
    _stop(f"`{path}` is not fully indexed yet (done: {', '.join(info['stages_done']) or 'nothing'}). "
          "Run `loupe index` on it again to finish.")

columns = map_columns(path, info["lance_version"])
st.sidebar.title("Loupe")
st.sidebar.caption(f"{info['docs']:,} documents · {info['model']} · {info['clusters']} clusters")
numeric = [c for c in columns.column_names if c not in ("id", "x", "y", "cluster")]
colour_by = st.sidebar.selectbox("Colour by", ["cluster", *numeric], key="colour_by")

# ---- filters: one rule per numeric column, AND-ed into one predicate -------------
st.sidebar.subheader("Filters")
values_of = {name: as_float(columns.column(name)) for name in numeric}
rules = []
for name in numeric:
    low, high = default_bounds(values_of[name])
    if low == high:
        continue
    if pa.types.is_integer(columns.schema.field(name).type):
        low, high = int(low), int(high)
    chosen = st.sidebar.slider(name, low, high, (low, high), key=f"rule_{name}")
    rules.append(Rule(name, chosen[0] if chosen[0] > low else None, chosen[1] if chosen[1] < high else None))
keep = np.ones(columns.num_rows, dtype=bool)
for rule in rules:
    keep &= rule.mask(values_of[rule.column])
tokens = np.nan_to_num(values_of["tokens"]).astype(np.int64) if "tokens" in values_of else np.zeros(len(keep), np.int64)
cut = summarize(keep, tokens)
st.sidebar.caption(f"kept {cut.kept_docs:,} documents ({cut.kept_tokens:,} tokens) · "
                   f"removed {cut.removed_docs:,} ({cut.removed_tokens:,} tokens)")
st.sidebar.code(combined_predicate(rules) or "-- no filter: every document", language="sql", wrap_lines=True)

# ---- search -----------------------------------------------------------------
query = st.sidebar.text_input("Search", key="query")
mode = st.sidebar.radio("Search by", ["meaning", "keyword"], horizontal=True, key="mode")
results = None
if query:
    search = workspace.search if mode == "meaning" else workspace.keyword_search
    results = search(query, k=20, columns=["id", "text"])

# ---- map --------------------------------------------------------------------
ids = columns.column("id").to_pylist()
clusters = columns.column("cluster").to_numpy(zero_copy_only=False)
kept_positions = np.flatnonzero(keep)
shown = kept_positions[display_sample(clusters[kept_positions])]
position = {doc_id: i for i, doc_id in enumerate(ids)}
highlight = None
if results is not None and results.num_rows:
    drawn = {p: j for j, p in enumerate(shown)}
    highlight = np.array([drawn[position[i]] for i in results.column("id").to_pylist() if position.get(i) in drawn])
colour = columns.column(colour_by).to_numpy(zero_copy_only=False)
figure = map_figure(
    columns.column("x").to_numpy(zero_copy_only=False)[shown],
    columns.column("y").to_numpy(zero_copy_only=False)[shown],
    [ids[i] for i in shown],
    color=np.nan_to_num(colour[shown].astype(np.float64)) if colour_by != "cluster" else colour[shown],
    categorical=colour_by == "cluster",
    color_name=colour_by,
    highlight=highlight,
)
left, right = st.columns([3, 2])
with left:
    event = st.plotly_chart(figure, on_select="rerun", selection_mode=("box", "lasso", "points"), key="map")
    picked = [int(p["customdata"]) for p in (event or {}).get("selection", {}).get("points", []) if "customdata" in p]
    selected = [ids[shown[p]] for p in picked]
    st.caption(f"{len(shown):,} of {len(ids):,} documents drawn · {len(selected):,} selected")

with right:
    if results is not None:
        st.subheader(f"{results.num_rows} results for “{query}”")
        st.dataframe(results.select(["id", "score"]).to_pandas(), hide_index=True, key="results")
    clusters_table = workspace.store.clusters().to_pandas()[["cluster", "size", "keywords"]]
    st.subheader("Clusters")
    st.dataframe(clusters_table, hide_index=True, height=240)

    choices = selected or (results.column("id").to_pylist() if results is not None else []) or ids[:20]
    doc_id = st.selectbox("Read", choices, key="reader_id")
    if doc_id:
        row = workspace.docs(where=f"id = '{doc_id.replace(chr(39), chr(39) * 2)}'",
                             columns=[c for c in workspace.store.docs_schema().names if c != "vector"]).to_pylist()[0]
        st.code(row.pop("text"), language=None, wrap_lines=True)  # literal text, never HTML or Markdown
        st.json({k: v for k, v in row.items() if not k.startswith("_")}, expanded=False)
        st.caption("Nearest neighbours (cosine similarity)")
        near = workspace.neighbors(doc_id, k=5, columns=["id"])
        st.dataframe(near.to_pandas(), hide_index=True, key="neighbours")
