"""Names a curator gives clusters and topics by hand, kept in the workspace
(`cluster_names.json`, written atomically) and shown wherever a cluster is named.

A name belongs to the clustering it was given on. Cluster numbers mean nothing across
fits (a `--remap` renumbers every cluster), so the names are filed under a fingerprint
of the clustering: its clusters' numbers, keywords and map centres, which placing new
documents keeps and a new fit changes. Names given to another clustering are kept in
the file but never shown on this one (`ClusterNames.stale` counts them, and the build
says so after a refit); a fit that gives exactly the same clusters again finds them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from indexing.errors import SettingError
from indexing.workspace.atomic import atomic_write_text
from indexing.workspace.lock import writer_lock

NAMES_FILE = "cluster_names.json"
MAX_NAME_CHARS = 80
KINDS = ("cluster", "topic")


@dataclass(frozen=True)
class ClusterNames:
    """The names of the current clustering: cluster number -> name, topic number -> name."""

    clusters: dict[int, str] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    stale: int = 0  # names given to an earlier clustering, not shown on this one

    def cluster(self, number: int, keywords=()) -> str:
        """What to call cluster `number`: its name, else its first three keywords."""
        return _label(self.clusters.get(int(number)), keywords)

    def topic(self, number: int, keywords=()) -> str:
        return _label(self.topics.get(int(number)), keywords)


def _label(name: str | None, keywords) -> str:
    return name or ", ".join(list(keywords if keywords is not None else ())[:3])


def clustering_key(store) -> str:
    """The fingerprint of the fitted clustering (numbers, keywords, centres; not sizes)."""
    table = store.clusters().select(["cluster", "keywords", "x", "y"]).to_pylist()
    return hashlib.sha256(json.dumps(table, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _read(root: Path) -> dict:
    path = Path(root) / NAMES_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SettingError(f"{path} is not readable JSON ({error}); delete it to start the names again") from None
    return data if isinstance(data, dict) else {}


def load_names(root: Path, store) -> ClusterNames:
    """The names of the workspace's current clustering."""
    everything = _read(root)
    current = everything.get(clustering_key(store), {}) if everything else {}
    stale = sum(len(v.get("cluster", {})) + len(v.get("topic", {}))
                for key, v in everything.items() if key != clustering_key(store) and isinstance(v, dict))
    return ClusterNames({int(k): str(v) for k, v in current.get("cluster", {}).items()},
                        {int(k): str(v) for k, v in current.get("topic", {}).items()}, stale)


def rename(root: Path, store, kind: str, number: int, name: str) -> ClusterNames:
    """Name cluster (or topic) `number` of the current clustering `name`; a blank name
    removes it (the keywords name it again). SettingError for an unknown number or a
    name that is too long or holds a line break."""
    if kind not in KINDS:
        raise SettingError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    name = str(name).strip()
    if "\n" in name or "\r" in name or len(name) > MAX_NAME_CHARS:
        raise SettingError(f"a {kind} name is one line of at most {MAX_NAME_CHARS} characters; "
                           f"{name[:40]!r} is not")
    name = " ".join(name.split())
    numbers = (store.clusters() if kind == "cluster" else store.topics()).column(kind).to_pylist()
    if int(number) not in {n for n in numbers if n is not None}:
        known = f"0 to {max(numbers)}" if numbers else "none: index the workspace first"
        raise SettingError(f"there is no {kind} {number} in {root} ({kind}s: {known})")
    with writer_lock(root):  # a build refitting the clusters meanwhile would change the key
        everything = _read(root)
        key = clustering_key(store)
        names = everything.setdefault(key, {}).setdefault(kind, {})
        if name:
            names[str(int(number))] = name
        else:
            names.pop(str(int(number)), None)
        atomic_write_text(Path(root) / NAMES_FILE, json.dumps(everything, ensure_ascii=False, indent=1) + "\n")
    return load_names(root, store)


__all__ = ["ClusterNames", "NAMES_FILE", "clustering_key", "load_names", "rename"]
