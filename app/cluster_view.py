"""Clusters and topics as the curator names them: read once per docs version and names
file, drawn on the map, listed, and renamed by hand (kept in the workspace through
`Workspace.rename_cluster`).

Everywhere the app names a cluster (the map's names and hover, the cluster list, the
selection's "cluster 3 · tax law", the legend when colouring by topic) it takes the name
from here: the hand-given one, else the first keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from app import data
from app.messages import say
from components.cluster_labels import MAX_LABELS, groups_present, hover_names, name_labels
from components.text import md
from indexing import LoupeError
from indexing.curate.cluster_names import NAMES_FILE, ClusterNames

TOPIC = "topic"


@dataclass(frozen=True)
class ClusterView:
    """One docs version's clusters and topics with their names."""

    clusters: object  # pandas: cluster, name, size, keywords, topic, x, y
    topics: object  # pandas: topic, name, size, keywords, x, y
    names: ClusterNames
    cluster_text: list[str]  # per cluster number: its name or first keywords
    topic_text: list[str]
    topic_of_cluster: np.ndarray  # int32 per cluster number (-1: none)

    @property
    def has_topics(self) -> bool:
        return len(self.topics) > 0

    def cluster_label(self, number: int) -> str:
        text = self.cluster_text[number] if 0 <= number < len(self.cluster_text) else ""
        return f"cluster {number} · {text}" if text else f"cluster {number}"


@st.cache_resource(show_spinner=False, max_entries=4)
def _view(path: str, version: int, stamp: tuple[int, int]) -> ClusterView:
    workspace = data.open_workspace(path)
    names = workspace.cluster_names()
    clusters = workspace.store.clusters().to_pandas()
    topics = workspace.store.topics().to_pandas()
    cluster_text = [names.cluster(c, words) for c, words in zip(clusters["cluster"], clusters["keywords"])]
    topic_text = [names.topic(t, words) for t, words in zip(topics["topic"], topics["keywords"])]
    clusters.insert(1, "name", [names.clusters.get(int(c), "") for c in clusters["cluster"]])
    topics.insert(1, "name", [names.topics.get(int(t), "") for t in topics["topic"]])
    topic_of = clusters["topic"].fillna(-1).to_numpy(dtype=np.int32)
    return ClusterView(clusters[["cluster", "name", "size", "keywords", "topic", "x", "y"]],
                       topics[["topic", "name", "size", "keywords", "x", "y"]], names, cluster_text, topic_text,
                       topic_of)


def view(path: str, version: int) -> ClusterView:
    """The clusters and names, read again when the docs or the names file changed."""
    try:  # every save is an atomic rename: a new inode
        stat = (Path(path) / NAMES_FILE).stat()
        stamp = (stat.st_mtime_ns, stat.st_ino)
    except FileNotFoundError:
        stamp = (0, 0)
    return _view(path, version, stamp)


def topic_colours(view: ClusterView, clusters: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each point's topic code, and the topics' names for the legend."""
    codes = view.topic_of_cluster[np.clip(clusters, 0, len(view.topic_of_cluster) - 1)]
    return np.maximum(codes, 0), [f"{t} · {text}" for t, text in enumerate(view.topic_text)]


def map_names(view: ClusterView, colour_by: str, clusters: np.ndarray) -> dict:
    """map_spec's `annotations` and `cluster_hover` for the drawn points' `clusters`."""
    by_topic = colour_by == TOPIC and view.has_topics
    table, texts = (view.topics, view.topic_text) if by_topic else (view.clusters, view.cluster_text)
    drawn = view.topic_of_cluster[groups_present(clusters)] if by_topic else clusters
    labels = name_labels(table.iloc[:, 0].tolist(), texts, _floats(table["x"]), _floats(table["y"]),
                         table["size"].tolist(), [bool(n) for n in table["name"]], drawn,
                         limit=None if by_topic else MAX_LABELS)
    return {"annotations": labels, "cluster_hover": hover_names(view.cluster_text)}


def _floats(column) -> list:
    return [None if v != v else float(v) for v in column.tolist()]  # NaN (an empty cluster): None


def rename_panel(workspace, view: ClusterView) -> None:
    """Name a cluster or a topic by hand (a blank name gives it back its keywords)."""
    with st.expander("Name a cluster or topic", key="naming"):  # a key: it stays open across renames
        kind = st.radio("Name a", ["cluster", TOPIC] if view.has_topics else ["cluster"], horizontal=True,
                        key="rename_kind")
        table, texts = (view.topics, view.topic_text) if kind == TOPIC else (view.clusters, view.cluster_text)
        st.selectbox(f"Which {kind}", table.iloc[:, 0].tolist(), key="rename_number",
                              format_func=lambda n: f"{n} · {texts[n]}" if 0 <= n < len(texts) else str(n))
        st.text_input("Name", key="rename_text", max_chars=80, placeholder="blank: its keywords name it")
        st.button("Rename", key="rename_button", on_click=_rename, args=(workspace,))
        if view.names.stale:
            st.caption(f"{view.names.stale} names given to an earlier clustering are kept in {md(NAMES_FILE)} "
                       "but not shown: the clusters were fitted again since.")


def _rename(workspace) -> None:
    """The click's callback: what the widgets hold at the click (not at the last drawing)."""
    kind, number = st.session_state.get("rename_kind", "cluster"), st.session_state.get("rename_number")
    name = st.session_state.get("rename_text", "")
    if number is None:
        return
    try:
        workspace.rename_cluster(int(number), name, topic=kind == TOPIC)
    except LoupeError as error:
        say("error", str(error))
        return
    say("success", f"{kind} {number} is now named “{' '.join(name.split())}”" if name.strip()
        else f"{kind} {number} is named by its keywords again")
