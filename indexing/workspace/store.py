"""The LanceDB database of a workspace: the system of record.

All writes go through here so that each one is a single Lance commit (atomic:
a kill leaves the previous version intact) and so that nobody else needs to
know how columns are replaced or tables compacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import lancedb
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import ColumnOwnershipError
from indexing.workspace.owned_columns import check_writable
from indexing.workspace.manifest import recorded_fields

DOCS = "docs"
LABELS = "labels"
CLUSTERS = "clusters"
TOPICS = "topics"

LABELS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("name", pa.string()),
        ("value", pa.string()),
        ("author", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("action", pa.string()),  # one id per user action; a bulk label's events share it
        ("undoes", pa.string()),  # the action this one reverts (null: not an undo)
        ("settles", pa.bool_()),  # true: a decision between annotators who disagree (null: a label)
    ]
)

CLUSTERS_SCHEMA = pa.schema(
    [
        ("cluster", pa.int32()),
        ("size", pa.int64()),
        ("keywords", pa.list_(pa.string())),
        ("x", pa.float32()),
        ("y", pa.float32()),
        ("topic", pa.int32()),  # the coarser level the cluster belongs to (null: fitted before topics)
    ]
)
# The topics above the clusters (indexing.vectors.topics): the same fields, one row a topic.
TOPICS_SCHEMA = pa.schema([("topic", pa.int32()), *(CLUSTERS_SCHEMA.field(n) for n in ("size", "keywords", "x", "y"))])


class Store:
    """Typed access to the tables of one workspace's `lance/` directory."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / "lance"
        self.db = lancedb.connect(str(self.path))

    def _names(self) -> list[str]:
        result = self.db.list_tables()
        return list(getattr(result, "tables", result))

    def has(self, name: str) -> bool:
        """Whether table `name` exists and can be opened. A kill during a table's first
        write leaves `<name>.lance/` with data files but no `_versions/`: LanceDB lists it
        yet cannot open it, and creating the table again writes over that leftover."""
        return name in self._names() and (self.path / f"{name}.lance" / "_versions").is_dir()

    def table(self, name: str):
        return self.db.open_table(name)

    # ---- docs -------------------------------------------------------------

    def docs_schema(self) -> pa.Schema | None:
        return self.table(DOCS).schema if self.has(DOCS) else None

    def count(self, where: str | None = None) -> int:
        if not self.has(DOCS):
            return 0
        return self.table(DOCS).count_rows(where)

    def append_docs(self, batch: pa.Table) -> None:
        """One commit per batch: a batch is stored whole or not at all."""
        if self.has(DOCS):
            self.table(DOCS).add(batch)
        else:
            self.db.create_table(DOCS, data=batch)

    def add_columns(self, fields: Sequence[pa.Field]) -> None:
        """New all-null columns; a name that exists already is refused, never replaced."""
        table = self.table(DOCS)
        present = [f.name for f in fields if f.name in table.schema.names]
        if present:
            raise ColumnOwnershipError(f"docs already has column(s) {', '.join(map(repr, present))}; not adding them")
        table.add_columns(pa.schema(list(fields)))

    def read_docs(
        self, where: str | None = None, columns: Sequence[str] | None = None
    ) -> pa.Table:
        if not self.has(DOCS):
            return pa.table({})
        dataset = self.table(DOCS).to_lance()
        return dataset.to_table(columns=list(columns) if columns else None, filter=where)

    def take_docs(self, positions: Sequence[int], columns: Sequence[str], version: int) -> pa.Table:
        """The rows at `positions` of docs as it was at `version`, in docs order (what the
        app's in-memory columns are indexed by), in the order given: a take of a few rows
        costs a millisecond where matching their ids scans the id column (30 ms a million)."""
        dataset = self.table(DOCS).to_lance()
        if dataset.version != version:
            dataset = dataset.checkout_version(version)
        return dataset.take(list(positions), columns=list(columns))

    def read_docs_of(self, ids: pa.Array, columns: Sequence[str] | None = None) -> pa.Table:
        """The rows of `ids` (any order, unknown ids ignored), in docs order, read batch by
        batch so that only the rows asked for are kept in memory."""
        if not self.has(DOCS):
            return pa.table({})
        dataset = self.table(DOCS).to_lance()
        wanted = list(columns) if columns else dataset.schema.names
        scan = wanted if "id" in wanted else [*wanted, "id"]
        value_set = ids.unique()
        parts = [batch.filter(pc.fill_null(pc.is_in(batch.column("id"), value_set=value_set), False))
                 for batch in dataset.to_batches(columns=scan, batch_size=8192)] if len(value_set) else []
        if not parts:
            return pa.schema([dataset.schema.field(c) for c in wanted]).empty_table()
        return pa.Table.from_batches(parts).select(wanted)

    def replace_columns(self, values: pa.Table, key: str = "id") -> None:
        """Set whole columns for every row, matched on `key`.

        Lance's merge writes only the new column files, so rewriting x/y/cluster of a
        million rows never touches the texts or vectors. A kill between the drop and
        the merge leaves the columns missing, which the stage that owns them repairs.
        Only columns that Loupe owns may be written: a source field's column is refused.
        """
        check_writable((n for n in values.column_names if n != key), recorded_fields(self.root).values())
        table = self.table(DOCS)
        present = [n for n in values.column_names if n != key and n in table.schema.names]
        if present:
            table.drop_columns(present)
        table.to_lance().merge(values, left_on=key)

    def compact(self) -> None:
        """Merge the small fragments that batch appends leave behind."""
        if self.has(DOCS):
            self.table(DOCS).optimize()

    def ensure_text_index(self) -> None:
        from lancedb.index import FTS

        self.table(DOCS).create_index("text", config=FTS(with_position=False), replace=True)

    def version(self) -> int:
        return self.table(DOCS).version if self.has(DOCS) else 0

    # ---- labels and clusters ---------------------------------------------

    def ensure_labels(self) -> None:
        """Create `labels`, or add the columns a table from an older Loupe lacks (nulls)."""
        if not self.has(LABELS):
            self.db.create_table(LABELS, schema=LABELS_SCHEMA)
            return
        table = self.table(LABELS)
        missing = [f for f in LABELS_SCHEMA if f.name not in table.schema.names]
        if missing:
            table.add_columns(pa.schema(missing))

    def write_clusters(self, clusters: pa.Table) -> None:
        if "topic" not in clusters.column_names:  # clusters without topics (a writer from before them)
            clusters = clusters.append_column("topic", pa.nulls(clusters.num_rows, pa.int32()))
        mode = "overwrite" if self.has(CLUSTERS) else "create"
        self.db.create_table(CLUSTERS, data=clusters.cast(CLUSTERS_SCHEMA), mode=mode)

    def clusters(self) -> pa.Table:
        """One row a cluster; a table written before topics reads with a null `topic`."""
        if not self.has(CLUSTERS):
            return CLUSTERS_SCHEMA.empty_table()
        table = self.table(CLUSTERS).to_arrow().sort_by("cluster")
        if "topic" not in table.column_names:
            table = table.append_column("topic", pa.nulls(table.num_rows, pa.int32()))
        return table

    def write_topics(self, topics: pa.Table) -> None:
        mode = "overwrite" if self.has(TOPICS) else "create"
        self.db.create_table(TOPICS, data=topics.cast(TOPICS_SCHEMA), mode=mode)

    def topics(self) -> pa.Table:
        """One row a topic (none before the clusters have topics)."""
        if not self.has(TOPICS):
            return TOPICS_SCHEMA.empty_table()
        return self.table(TOPICS).to_arrow().sort_by("topic")

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
