"""A selection: one SQL predicate (plus an optional explicit id list) for every view.

The map, the table, bulk labels and the export all ask `select_ids` which documents
are selected, so they agree. The predicate is a SQL boolean expression (DataFusion,
the dialect LanceDB filters use) over:

- the columns of `docs` (`tokens`, `cluster`, `lines`, the source's own fields, ...;
  `text` too, read only when the predicate names it; never `vector`), and
- one string column per label name holding the document's current label; an
  unlabelled document holds the empty string '' there, not NULL, so
  `quality != 'bad'` keeps unlabelled documents and `quality = ''` means
  "no quality label". (If a docs column with a label's name appears after the label
  was made, the docs column keeps the name and the label is `label_<name>`.)

For example `tokens > 100 AND quality != 'bad'`, `cluster IN (3, 7)`,
`kind = 'function_doc' AND topic = ''`. Column names are case-sensitive; quote an
unusual one with backticks: `` `my field` > 2 `` (double a backtick inside). Only an
expression is accepted (no `UNION`, no second statement), within the bounds of
`indexing.workspace.sql.check_predicate` (length, nesting, operators, allowed functions), which
every entry point checks before DataFusion or Lance sees the text.
"""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from indexing.workspace.sql import SelectionError, predicate_problem, shorten  # SelectionError: imported from here too

SKIPPED = ("vector",)  # never a selection column: not a scalar, and the largest by far


def label_column(name: str, docs_columns: Sequence[str]) -> str:
    """The selection column of label `name` (its own name unless a docs column has it)."""
    return f"label_{name}" if name in docs_columns else name


def selection_table(docs: pa.Table, labels_pivot: pa.Table) -> pa.Table:
    """`docs` (any columns, `id` among them), in its order, with one string column per
    label of `labels_pivot` (doc_id + a column per name): the current value, or ''."""
    if "id" not in docs.column_names:
        raise ValueError("docs must have an `id` column")
    names = [c for c in labels_pivot.column_names if c != "doc_id"]
    if not names:
        return docs
    positions = pc.index_in(docs["id"], value_set=labels_pivot["doc_id"].combine_chunks())
    out = docs
    for name in names:
        values = labels_pivot[name].combine_chunks().cast(pa.string()).take(positions)
        out = out.append_column(
            pa.field(label_column(name, docs.column_names), pa.string(), nullable=False),
            pc.fill_null(values, ""),
        )
    return out


def _context():
    import datafusion

    config = datafusion.SessionConfig().set("datafusion.sql_parser.enable_ident_normalization", "false")
    return datafusion.SessionContext(config)


def _reason(error: Exception) -> str:
    text = str(error).replace("DataFusion error: ", "").strip()
    for cut in ("\nValid fields are", "Valid fields are"):
        text = text.split(cut)[0]
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def _fail(where: str, error: Exception | str, schema: pa.Schema, labels: Sequence[str]) -> SelectionError:
    reason = error if isinstance(error, str) else _reason(error)
    columns = ", ".join(f.name + (" (label)" if f.name in labels else "") for f in schema)
    end = " " if reason.endswith((".", "?", "!")) else ". "
    return SelectionError(f"bad selection {shorten(where)!r}: {reason}{end}Available columns: {columns}")


def _check_bounds(where: str, schema: pa.Schema, labels: Sequence[str]) -> None:
    """The bounds of indexing.workspace.sql, before DataFusion sees the text (a predicate beyond
    them can stall or crash the process)."""
    problem = predicate_problem(where)
    if problem is not None:
        raise _fail(where if isinstance(where, str) else repr(where), problem, schema, labels)


def referenced_columns(where: str, schema: pa.Schema, labels: Sequence[str] = ()) -> list[str]:
    """The columns of `schema` that `where` reads (validating it against `schema`
    without any data); raises SelectionError for a predicate that would fail or
    exceeds the bounds of `check_predicate`."""
    import datafusion

    _check_bounds(where, schema, labels)
    frame = _context().from_arrow(schema.empty_table(), name="docs")
    try:
        expr = frame.parse_sql_expr(where)
        plan = frame.filter(expr).select(datafusion.lit(1).alias("one")).optimized_logical_plan()
    except Exception as error:  # DataFusion raises plain Exceptions
        raise _fail(where, error, schema, labels) from None
    found: list[str] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        variant = node.to_variant()
        if type(variant).__name__ == "TableScan":
            found.extend(name for _, name in variant.projection())
        stack.extend(node.inputs())
    return [f.name for f in schema if f.name in found]


def filter_ids(
    table: pa.Table, where: str, labels: Sequence[str] = (), schema: pa.Schema | None = None
) -> pa.Array:
    """The `id`s of `table`'s rows where `where` is true, in table order (`schema`: the
    columns an error message lists, by default the table's)."""
    _check_bounds(where, schema or table.schema, labels)
    frame = _context().from_arrow(table, name="docs")
    try:
        matched = frame.filter(frame.parse_sql_expr(where)).select("id").to_arrow_table()["id"]
    except Exception as error:
        raise _fail(where, error, schema or table.schema, labels) from None
    # DataFusion may run the filter in parallel partitions: restore the table's order
    ids = table["id"]
    return ids.filter(pc.is_in(ids, value_set=matched.combine_chunks())).combine_chunks()


def select_ids(workspace, where: str | None = None, ids: Sequence[str] | None = None) -> list[str]:
    """Ids of the documents where `where` holds (all when None), and, when `ids` is
    given, among `ids` (a lasso); in docs order. Reads only the docs columns the
    predicate names, and the current values of the labels it names."""
    where = where.strip() if isinstance(where, str) else where
    store = workspace.store
    stored = store.docs_schema()
    docs_schema = stored if stored is not None else pa.schema([("id", pa.string())])
    docs_fields = [f for f in docs_schema if f.name not in SKIPPED]
    docs_names = [f.name for f in docs_fields]

    needed_docs = ["id"]
    needed_labels: dict[str, str] = {}  # selection column -> label name
    schema, label_columns = docs_schema, []
    if where:
        labels = workspace.labels
        columns = {label_column(n, docs_names): n for n in labels.names()}
        schema = pa.schema(docs_fields + [pa.field(c, pa.string()) for c in columns])
        label_columns = list(columns)
        used = referenced_columns(where, schema, label_columns)
        needed_docs += [c for c in used if c in docs_names and c != "id"]
        needed_labels = {c: columns[c] for c in used if c in columns and c not in docs_names}

    docs = store.read_docs(columns=needed_docs) if stored is not None else docs_schema.empty_table()
    if ids is not None:
        wanted = pa.array(list(ids), pa.string())
        docs = docs.filter(pc.is_in(docs["id"], value_set=wanted))
    if not where:
        return docs["id"].to_pylist()

    pivot = pa.table({"doc_id": pa.array([], pa.string())})
    if needed_labels:
        pivot = workspace.labels.pivot(list(needed_labels.values()))
        pivot = pivot.rename_columns(
            ["doc_id"] + [label_column(n, docs_names) for n in pivot.column_names[1:]]
        )
    table = selection_table(docs, pivot)
    return filter_ids(table, where, label_columns, schema).to_pylist()
