"""What the app keeps in memory, and when it reloads it.

The map and the filter panel need a few columns of every row (id, x, y, cluster and
the numeric columns), never texts or vectors. They are read once per LanceDB
version and shared by every session (`st.cache_resource`), so a rerun costs nothing
until the data really changes. Label columns are keyed on the labels table's own
version, so a label written in another tab shows at the next rerun.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import streamlit as st

from app.warm import open_warm
from components.map_figure import MAX_HOVER_POINTS, escape_ids
from indexing import Workspace
from indexing.curate.label_scheme import SCHEME_FILE
from indexing.curate.label_scheme import label_codes as scheme_label_codes
from indexing.workspace.manifest import STATE_FILE
from indexing.curate.categories import Category, categorize_batches, string_columns
from indexing.curate.thresholds import as_float, bin_index, boolean_columns, default_bounds, histogram, numeric_columns, sorted_finite

STRING_BATCH = 65_536  # rows of a string column read at a time (a text column: only until it shows itself)
SNIPPET_READ_CHARS = 240  # enough for a hover line; the reader reads the full text


@st.cache_resource(show_spinner=False, max_entries=2)
def _workspace(path: str, stamp: int) -> Workspace:
    return open_warm(path)


def open_workspace(path: str) -> Workspace:
    """The workspace, opened again only when workspace.json changed (a new `loupe index`);
    its model and FAISS index start loading in the background when it is opened (app.warm)."""
    return _workspace(path, (Path(path) / STATE_FILE).stat().st_mtime_ns)


@st.cache_resource(show_spinner=False, max_entries=2)
def info(path: str, stamp: int, version: int) -> dict:
    """`Workspace.info()` (it walks the files for their sizes), once per docs version."""
    return open_workspace(path).info()


class PerColumn(Mapping):
    """column -> `make(column)`, made when first asked for and kept. The histograms and
    histogram bins of every numeric column were made when the columns were read, seconds
    at a million rows on the first page, even with the Filters tab closed; now a column
    costs only when its histogram is drawn or its kept counts are asked for."""

    def __init__(self, names: Iterable[str], make: Callable[[str], object]):
        self._names, self._make, self._made = tuple(names), make, {}

    def __getitem__(self, name: str):
        if name not in self._made:
            if name not in self._names:
                raise KeyError(name)
            self._made[name] = self._make(name)  # two sessions at once: made twice, the same
        return self._made[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class Corpus:
    """The in-memory columns of one docs version, in docs order (position = row)."""

    version: int  # the docs version they were read at (what a position refers to)
    ids: list[str]
    position: dict[str, int]
    x: np.ndarray
    y: np.ndarray
    clusters: np.ndarray
    values_of: dict[str, np.ndarray]  # every numeric column as float64, NaN for null
    integer: frozenset[str]  # which of them hold integers (sliders step by 1)
    tokens: np.ndarray
    histograms: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)  # (counts, edges), made on first use
    bins_of: Mapping[str, tuple[np.ndarray, int]] = field(repr=False)  # (bin of each row, bins), made on first use
    bounds: dict[str, tuple[float, float]] = field(repr=False)  # each slider's range (ints for int columns)
    flags: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # boolean columns (null: False)
    categories: dict[str, Category] = field(default_factory=dict, repr=False)  # string columns of few values
    text_columns: list[str] = field(default_factory=list)  # string columns of many values (contains, regex)
    _sorted: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _memo: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def filterable(self) -> list[str]:
        """Columns a slider can cut: those whose values are not all the same."""
        return [name for name, (low, high) in self.bounds.items() if low < high]

    def ids_where(self, mask: np.ndarray) -> list[str]:
        """The ids of the rows `mask` keeps, in docs order (a numpy take, not a Python loop)."""
        if "ids" not in self._memo:  # the ids as an object array, made on first use and kept
            self._memo["ids"] = np.array(self.ids, dtype=object)
        return self._memo["ids"][mask].tolist()

    def hover_ids(self) -> np.ndarray:
        """Every id HTML-escaped for the map's hover, made on first use and kept."""
        if "hover" not in self._memo:
            self._memo["hover"] = escape_ids(self.ids)
        return self._memo["hover"]

    def sorted(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions, values) of `name`'s finite values in ascending order, made on first use and kept."""
        if name not in self._sorted:
            self._sorted[name] = sorted_finite(self.values_of[name])
        return self._sorted[name]

    @property
    def size(self) -> int:
        return len(self.ids)


def read_corpus(workspace: Workspace) -> Corpus:
    """Everything the map and filters need, read from LanceDB in one pass."""
    version = workspace.store.version()
    schema = workspace.store.docs_schema()
    numeric = numeric_columns(schema)
    flags = boolean_columns(schema)
    strings = string_columns(schema)
    wanted = [c for c in dict.fromkeys(["id", "x", "y", "cluster", *numeric, *flags]) if c in schema.names]
    table = workspace.docs(columns=wanted)
    ids = table.column("id").to_pylist()
    values_of = {name: as_float(table.column(name)) for name in numeric}
    tokens = values_of.get("tokens")
    histograms = PerColumn(values_of, lambda name: histogram(values_of[name]))
    categories, text_columns = _strings(workspace, version, strings)
    return Corpus(
        version=version,
        ids=ids,
        position={doc_id: i for i, doc_id in enumerate(ids)},
        x=table.column("x").to_numpy(zero_copy_only=False).astype(np.float32),
        y=table.column("y").to_numpy(zero_copy_only=False).astype(np.float32),
        clusters=table.column("cluster").to_numpy(zero_copy_only=False).astype(np.int32),
        values_of=values_of,
        integer=frozenset(n for n in numeric if pa.types.is_integer(schema.field(n).type)),
        tokens=np.nan_to_num(tokens).astype(np.int64) if tokens is not None else np.zeros(len(ids), np.int64),
        histograms=histograms,
        bins_of=PerColumn(values_of, lambda name: (bin_index(values_of[name], histograms[name][1]),
                                                   len(histograms[name][0]))),
        bounds={name: _slider_bounds(values, pa.types.is_integer(schema.field(name).type))
                for name, values in values_of.items()},
        flags={name: table.column(name).fill_null(False).to_numpy(zero_copy_only=False).astype(bool) for name in flags},
        categories=categories,
        text_columns=text_columns,
    )


def _strings(workspace: Workspace, version: int, names: list[str]) -> tuple[dict[str, Category], list[str]]:
    """The string columns with two or more values: few (a Category, kept as codes) or many
    (named only: their contains/regex masks come from the engine, `predicate_mask`). Each is
    read batch by batch at `version`, a text column only until it shows itself one."""
    categories, text_columns = {}, []
    dataset = workspace.store.table("docs").to_lance()
    if dataset.version != version:
        dataset = dataset.checkout_version(version)
    for name in names:
        batches = (batch.column(0) for batch in dataset.to_batches(columns=[name], batch_size=STRING_BATCH))
        category = categorize_batches(name, batches)
        if category is not None and category.missing == len(category.codes):
            continue
        if category is None:
            text_columns.append(name)
        elif len(category.values) > 1 or (category.values and category.missing):
            categories[name] = category
    return categories, text_columns


def _slider_bounds(values: np.ndarray, integer: bool) -> tuple[float, float]:
    low, high = default_bounds(values)
    return (int(low), int(high)) if integer else (float(low), float(high))


@st.cache_resource(show_spinner="Loading the map columns…", max_entries=2)
def corpus(path: str, version: int) -> Corpus:
    return read_corpus(open_workspace(path))


@st.cache_resource(show_spinner="Loading hover snippets…", max_entries=2)
def snippets(path: str, version: int) -> list[str] | None:
    """The start of every text, for hover, while the corpus is small enough to hover."""
    workspace = open_workspace(path)
    if workspace.count() > MAX_HOVER_POINTS:
        return None
    texts = workspace.docs(columns=["text"]).column("text").to_pylist()
    return [t[:SNIPPET_READ_CHARS] for t in texts]


@st.cache_resource(show_spinner=False, max_entries=8)
def _label_scheme(path: str, labels_version: int, stamp: tuple[int, int]) -> dict[str, list[str]]:
    return open_workspace(path).label_scheme()


def label_scheme(path: str, labels_version: int) -> dict[str, list[str]]:
    """The label scheme (shared: read-only), read again only when the labels or the scheme
    file changed; a damaged file raises LabelError every time, as it is not cached."""
    try:  # every save is an atomic rename: a new inode, whatever the clock's granularity
        stat = (Path(path) / SCHEME_FILE).stat()
        stamp = (stat.st_mtime_ns, stat.st_ino)
    except FileNotFoundError:
        stamp = (0, 0)
    return _label_scheme(path, labels_version, stamp)


@st.cache_resource(show_spinner=False, max_entries=8)
def label_codes(path: str, version: int, labels_version: int, name: str,
                values: tuple[str, ...]) -> tuple[np.ndarray, list[str | None]]:
    """Per document, the code of its current `name` label: 0 unlabelled, then `values`
    (the scheme's, then any other value found) as 1, 2, …; and the category names."""
    rows = corpus(path, version)
    return scheme_label_codes(open_workspace(path).labels, name, rows.position, rows.size, values)


@st.cache_resource(show_spinner="Evaluating the predicate…", max_entries=16)
def predicate_mask(path: str, version: int, labels_version: int, predicate: str) -> np.ndarray:
    """Which documents a hand-written predicate keeps (docs columns and labels, via the engine)."""
    rows = corpus(path, version)
    keep = np.zeros(rows.size, dtype=bool)
    kept = open_workspace(path).select(predicate)
    keep[[rows.position[i] for i in kept]] = True
    return keep


SEARCH_HITS = 20
WIDEST_SEARCH = 5_000  # the most hits filtered here before the engine restricts a search itself


@st.cache_resource(show_spinner=False, max_entries=256)
def search(path: str, version: int, labels_version: int, mode: str, query: str, predicate: str | None,
           _corpus: Corpus, _keep: np.ndarray | None) -> pa.Table:
    """The top 20 (id, text, _score) of a search by meaning or keyword; with a predicate,
    among the documents it keeps (`_keep`, the filter's mask in docs order). Shared by every
    session and kept: a rerun that changes nothing of this does not search again (the
    predicate and both versions identify the mask, so it is not hashed)."""
    workspace = open_workspace(path)
    find = workspace.search if mode == "meaning" else workspace.keyword_search
    if predicate is None:
        found = find(query, k=SEARCH_HITS, columns=["id"])
    else:
        found = search_within(find, query, _corpus, _keep)
    return with_texts(workspace, _corpus, found)


def with_texts(workspace: Workspace, corpus: Corpus, found: pa.Table) -> pa.Table:
    """`found` (id, _score) with each document's text, read by position: the app's columns
    say where each row is, so this is a take of 20 rows, not a scan of a million ids."""
    at = [corpus.position.get(i) for i in found.column("id").to_pylist()]
    rows = [r for r, p in enumerate(at) if p is not None]  # an id the map does not know: left out
    found = found.take(pa.array(rows, pa.int64()))
    texts = texts_at(workspace, corpus, [at[r] for r in rows])
    return pa.table({"id": found.column("id"), "text": texts, "_score": found.column("_score")})


def search_within(find, query: str, corpus: Corpus, keep: np.ndarray) -> pa.Table:
    """The best hits the filter keeps. Handing the engine a million kept ids costs seconds
    (it reads and matches every id); asking it for more hits and keeping those the mask
    keeps costs milliseconds and gives the same top 20, as long as the filter keeps a fair
    share. When it keeps too few for that, the engine restricts the search itself."""
    kept = int(np.count_nonzero(keep))
    limit = SEARCH_HITS + int(2 * SEARCH_HITS * corpus.size / max(kept, 1))
    while kept and limit <= WIDEST_SEARCH:
        found = find(query, k=limit, columns=["id"])
        at = map(corpus.position.get, found.column("id").to_pylist())
        rows = [r for r, p in enumerate(at) if p is not None and keep[p]]
        if len(rows) >= SEARCH_HITS or found.num_rows < limit:  # enough, or every hit seen
            return found.take(pa.array(rows[:SEARCH_HITS], pa.int64()))
        limit *= 4
    return find(query, k=SEARCH_HITS, columns=["id"], ids=corpus.ids_where(keep))


def texts_at(workspace: Workspace, corpus: Corpus, positions: list[int]) -> pa.ChunkedArray:
    """The texts of the documents at `positions` of `corpus`, in that order (a take)."""
    return workspace.store.take_docs(positions, ["text"], corpus.version).column("text")


@st.cache_resource(show_spinner=False, max_entries=64)
def document(root: str, version: int, doc_id: str, _workspace: Workspace, _corpus: Corpus) -> dict | None:
    """The reader's row of one document (text first, then every column but the vector), or
    None; kept per docs version, as the reader shows one document across many reruns."""
    position = _corpus.position.get(doc_id)
    if position is None:
        return None
    skip = {"vector", "text"}
    columns = [c for c in _workspace.store.docs_schema().names if c not in skip and not c.startswith("_")]
    return _workspace.store.take_docs([position], ["text", *columns], _corpus.version).to_pylist()[0]


@st.cache_resource(show_spinner=False, max_entries=64)
def neighbours(root: str, version: int, doc_id: str, _workspace: Workspace, _corpus: Corpus, k: int = 5) -> pa.Table:
    """The reader's nearest neighbours of a document (id, text, _score), kept per docs version."""
    return with_texts(_workspace, _corpus, _workspace.neighbors(doc_id, k=k, columns=["id"]))
