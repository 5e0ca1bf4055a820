"""Hand labels as append-only events in the `labels` table.

Every click in the app (or call from a notebook) appends events
`(doc_id, name, value, author, at, action, undoes)`; nothing is ever overwritten:

- the current label of a document under a name is its latest live event for that
  `(doc_id, name)`, ordered by `(at, action)`; a null `value` means "cleared";
- all events of one user action (e.g. a bulk label of 10,000 documents) share one
  `action` id and are one LanceDB write, so one version;
- an undo is itself an action whose events name the action they revert (`undoes`) and
  record the value it had replaced, so the history keeps both. Undo events and the
  events of undone actions are not live: undoing an action removes it from what the
  labels are, and a later label of someone else stands (an undo that wrote back the
  earlier value would overwrite a colleague's newer decision).

Several people may label one workspace; each event names its `author`. `by_author` gives
each annotator's own current labels (their latest labelling event, undone actions left
out); where annotators disagree, `settle` writes the decision as an event marked
`settles`, which becomes the document's current label without changing what each
annotator said (indexing/curate/agreement.py compares those).

`at` is made strictly increasing across writes (the wall clock, or one microsecond
after the latest stored event if the clock is behind), so "latest" is the order in
which actions were written even when the clock is coarse or steps back.

Nothing is cached between calls: every read opens the table again, so two `Labels`
on the same workspace (two browser tabs, two processes) see each other's writes.
"""

from __future__ import annotations

import getpass
import re
import time
import uuid
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexing.errors import LabelError
from indexing.workspace.conflicts import retry_conflicts
from indexing.workspace.owned_columns import is_owned, owned_names
from indexing.workspace.sql import sql_equals
from indexing.workspace.store import LABELS, LABELS_SCHEMA, Store

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Never a label name, whatever the docs hold: the pivot's key column, and SQL words
# that would make a predicate over the label unreadable.
ALWAYS_RESERVED = frozenset(
    {"doc_id", "and", "or", "not", "null", "true", "false", "is", "in", "like", "ilike",
     "between", "case", "when", "then", "else", "end", "select", "from", "where", "as",
     "distinct", "exists"}
)

_ORDER = [("at", "ascending"), ("action", "ascending")]


def default_author() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _pair_keys(events: pa.Table) -> pa.ChunkedArray:
    """`name \\x1f doc_id`: unambiguous since a name is an identifier."""
    return pc.binary_join_element_wise(events["name"], events["doc_id"], "\x1f")


def latest_events(events: pa.Table, keys: tuple[str, ...] = ("doc_id", "name")) -> pa.Table:
    """The latest event per (doc_id, name) (or per `keys`), oldest of those first (vectorised)."""
    if events.num_rows == 0:
        return events
    order = pc.sort_indices(events, _ORDER).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    keyed = pa.table({**{k: events[k] for k in keys}, "_rank": rank})
    last = np.sort(keyed.group_by(list(keys)).aggregate([("_rank", "max")])["_rank_max"].to_numpy())
    return events.take(pa.array(order[last]))


def _live(events: pa.Table) -> pa.Table:
    """The events that make the labels: neither undo events nor events of an undone action
    (`events` has `action` and `undoes`)."""
    if events.num_rows == 0:
        return events
    undone = pc.unique(events["undoes"].drop_null())
    live = pc.and_kleene(pc.is_null(events["undoes"]),
                         pc.invert(pc.fill_null(pc.is_in(events["action"], value_set=undone), False)))
    return events.filter(live)


class Labels:
    """The hand labels of one workspace: add, undo, current values, history, counts.

    A label name may not be a column of the docs table (read at each `add`), a column
    Loupe owns, `doc_id`, a SQL keyword, or one of `reserved` (all compared
    case-insensitively), so a label never shadows a column in a selection predicate.
    """

    compact_after = 64  # fragments; each add is one fragment until compacted

    def __init__(self, store: Store, reserved: Iterable[str] | None = None):
        self.store = store
        self._reserved = frozenset(reserved or ())

    # ---- reading -----------------------------------------------------------

    def _events(self, where: str | None = None, columns: list[str] | None = None) -> pa.Table:
        """Events in LABELS_SCHEMA order (columns an older table lacks come back null)."""
        wanted = columns or LABELS_SCHEMA.names
        schema = pa.schema([LABELS_SCHEMA.field(c) for c in wanted])
        if not self.store.has(LABELS):
            return schema.empty_table()
        dataset = self.store.table(LABELS).to_lance()
        present = [c for c in wanted if c in dataset.schema.names]
        table = dataset.to_table(columns=present, filter=where)
        arrays = [
            table[c] if c in present else pa.nulls(table.num_rows, schema.field(c).type)
            for c in wanted
        ]
        return pa.Table.from_arrays(arrays, schema=schema)

    def current(self, name: str | None = None) -> pa.Table:
        """doc_id, name, value, author, at: the current label per (doc_id, name), without
        cleared ones; the most recently set last."""
        latest = self.latest(name).drop_columns(["settles"])
        return latest.filter(pc.is_valid(latest["value"]))

    def latest(self, name: str | None = None) -> pa.Table:
        """doc_id, name, value, author, at, settles: the latest live event per (doc_id, name),
        a clearing one (null value) included; `settles` says whether it was a settlement."""
        where = None if name is None else sql_equals("name", name)
        events = self._events(where, ["doc_id", "name", "value", "author", "at", "action", "undoes", "settles"])
        return latest_events(_live(events)).drop_columns(["action", "undoes"])

    def by_author(self, name: str | None = None) -> pa.Table:
        """doc_id, name, value, author, at: each annotator's own current label per
        (doc_id, name): the latest of their labelling events, leaving out undos,
        settlements and undone actions, without cleared ones. `current()` is the
        document's label (its latest event, whoever wrote it); this is what each
        annotator said, which agreement between annotators compares."""
        where = None if name is None else sql_equals("name", name)
        events = _live(self._events(where, ["doc_id", "name", "value", "author", "at", "action", "undoes", "settles"]))
        events = events.filter(pc.invert(pc.fill_null(events["settles"], False))).drop_columns(["undoes", "settles"])
        latest = latest_events(events, ("doc_id", "name", "author"))
        return latest.filter(pc.is_valid(latest["value"])).drop_columns(["action"])

    def version(self) -> int:
        """The labels table's LanceDB version (0 before the first label): a cache key
        that changes with every write, whoever made it."""
        return self.store.table(LABELS).version if self.store.has(LABELS) else 0

    def names(self) -> list[str]:
        """Every label name ever used (also those whose labels are all cleared now)."""
        names = self._events(columns=["name"])["name"]
        return sorted(pc.unique(names).to_pylist())

    def pivot(self, names: Iterable[str] | None = None) -> pa.Table:
        """doc_id plus one string column per label name (all names, or `names`) holding
        the current value, null where a document has none; a row per labelled doc."""
        names = self.names() if names is None else list(dict.fromkeys(names))
        if len(names) == 1:
            current = self.current(names[0])
        else:
            current = self.current()
            if names:
                current = current.filter(pc.is_in(current["name"], value_set=pa.array(names, pa.string())))
        doc_ids = pc.unique(current["doc_id"]).sort()
        columns = {"doc_id": doc_ids}
        for name in names:
            one = current.filter(pc.equal(current["name"], name))
            positions = pc.index_in(doc_ids, value_set=one["doc_id"].combine_chunks())
            columns[name] = one["value"].combine_chunks().take(positions)
        return pa.table(columns, schema=pa.schema([("doc_id", pa.string())] + [(n, pa.string()) for n in names]))

    def history(self, doc_id: str) -> pa.Table:
        """Every event of `doc_id` (all names, undos included), oldest first."""
        events = self._events(sql_equals("doc_id", doc_id))
        return events.take(pc.sort_indices(events, _ORDER))

    def counts(self) -> dict[str, dict[str, int]]:
        """name -> value -> number of documents whose current label it is (most first)."""
        current = self.current()
        if current.num_rows == 0:
            return {}
        grouped = current.group_by(["name", "value"]).aggregate([("doc_id", "count")])
        rows = sorted(
            zip(grouped["name"].to_pylist(), grouped["value"].to_pylist(), grouped["doc_id_count"].to_pylist()),
            key=lambda r: (r[0], -r[2], r[1]),
        )
        counts: dict[str, dict[str, int]] = {}
        for name, value, count in rows:
            counts.setdefault(name, {})[value] = count
        return counts

    # ---- writing -----------------------------------------------------------

    def reserved(self) -> frozenset[str]:
        schema = self.store.docs_schema()
        names = self._reserved | owned_names() | ALWAYS_RESERVED | frozenset(schema.names if schema else ())
        return frozenset(n.lower() for n in names)

    def check_name(self, name: str) -> None:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise LabelError(
                f"label name {name!r} is not an identifier (letters, digits and _, not starting with a digit)"
            )
        if name.lower() in self.reserved() or is_owned(name.lower()):
            raise LabelError(f"label name {name!r} is taken by a docs column or SQL; choose another name")

    def add(
        self, doc_ids: Iterable[str] | str, name: str, value: str | None, author: str | None = None
    ) -> str:
        """Label `doc_ids` (one id or many) `name = value` (None clears the label) as ONE
        LanceDB write, whatever the number of ids. Returns the action id."""
        return self._write(doc_ids, name, value, author, settles=False)

    def settle(self, doc_ids: Iterable[str] | str, name: str, value: str, author: str | None = None) -> str:
        """Decide `name = value` where annotators disagree: the documents' current label
        becomes `value` (the latest event), while each annotator's own label, which
        agreement is measured on, stays as they gave it (`by_author` leaves settlements
        out). An annotator who labels the document again reopens the disagreement."""
        if value is None:
            raise LabelError("settling needs a value; to clear a label, use add(..., None)")
        return self._write(doc_ids, name, value, author, settles=True)

    def _write(self, doc_ids, name: str, value: str | None, author: str | None, settles: bool) -> str:
        self.check_name(name)
        if value is not None and not isinstance(value, str):
            raise LabelError(f"label value must be a string or None (to clear), not {type(value).__name__}")
        if value == "":
            raise LabelError("label value '' is reserved for 'unlabelled' in selections; use None to clear")
        ids = _ids(doc_ids)
        author = _author(author)
        self.store.ensure_labels()
        action = _new_action()
        n = len(ids)
        events = pa.table(
            {
                "doc_id": pa.array(ids, pa.string()),
                "name": pa.array([name] * n, pa.string()),
                "value": pa.array([value] * n, pa.string()),
                "author": pa.array([author] * n, pa.string()),
                "at": _timestamps(self._next_at(), n),
                "action": pa.array([action] * n, pa.string()),
                "undoes": pa.nulls(n, pa.string()),
                "settles": pa.array([True] * n, pa.bool_()) if settles else pa.nulls(n, pa.bool_()),
            },
            schema=LABELS_SCHEMA,
        )
        self._append(events)
        return action

    def undo(self, author: str | None = None) -> str | None:
        """Revert the latest action not yet undone (of `author`, when given).

        Appends one event per (doc, name) that action touched, as a new action whose
        `undoes` is the reverted one. Undos are never themselves undone by `undo`, so
        a second call reverts the action before. Returns the new action id, or None
        when there is nothing to undo. Where a later action of someone else changed the
        same label since, that label stands: the current label is the latest live event.
        Each undo event's value is what its label is once the action is undone (the value
        from before the action, or that later label; null when none), so the history
        never shows a value that did not apply.
        """
        events = self._events()
        if events.num_rows == 0:
            return None
        live = _live(events)  # the actions not undone yet, and the values each label had before one
        candidate = pc.is_valid(live["action"])
        if author is not None:
            candidate = pc.and_kleene(candidate, pc.equal(live["author"], author))
        candidates = live.filter(candidate)
        if candidates.num_rows == 0:
            return None
        last = pc.sort_indices(candidates, [("at", "descending"), ("action", "descending")])[0].as_py()
        target = candidates["action"][last]
        reverted = events.filter(pc.equal(events["action"], target))
        keys = _pair_keys(reverted).combine_chunks()
        other_action = pc.fill_null(pc.not_equal(live["action"], target), True)  # null: an older Loupe's event
        others = live.filter(pc.and_kleene(other_action, pc.is_in(_pair_keys(live), value_set=keys)))
        after = latest_events(others)  # each label once the action is undone, for the history to show
        positions = pc.index_in(keys, value_set=_pair_keys(after).combine_chunks())
        restored = after["value"].combine_chunks().take(positions)

        action = _new_action()
        n = reverted.num_rows
        at = max(_now_us(), _max_at(events) + 1)
        undo_events = pa.table(
            {
                "doc_id": reverted["doc_id"],
                "name": reverted["name"],
                "value": restored,
                "author": pa.array([_author(author)] * n, pa.string()),
                "at": _timestamps(at, n),
                "action": pa.array([action] * n, pa.string()),
                "undoes": pa.array([target.as_py()] * n, pa.string()),
                "settles": pa.nulls(n, pa.bool_()),
            },
            schema=LABELS_SCHEMA,
        )
        self.store.ensure_labels()  # an older table gains action/undoes first
        self._append(undo_events)
        return action

    # ---- internals -----------------------------------------------------------

    def _next_at(self) -> int:
        """Now in microseconds, but always after every stored event."""
        return max(_now_us(), _max_at(self._events(columns=["at"])) + 1)

    def _append(self, events: pa.Table) -> None:
        """One LanceDB write of `events` (retried on a commit conflict with another
        writer), then maybe a compaction."""
        retry_conflicts(lambda: self.store.table(LABELS).add(events))
        self._maybe_compact()

    def _maybe_compact(self) -> None:
        """Merge the one-fragment-per-add fragments once there are many. Only an
        optimisation, run after the events are stored: one that still fails (another
        process compacting at once, a full disk) is skipped, never the label's error;
        the next add tries again."""
        try:
            if len(self.store.table(LABELS).to_lance().get_fragments()) > self.compact_after:
                retry_conflicts(lambda: self.store.table(LABELS).optimize(), attempts=3)
        except Exception:  # noqa: BLE001 - see the docstring
            pass


def _ids(doc_ids: Iterable[str] | str) -> list[str]:
    if isinstance(doc_ids, str):
        doc_ids = [doc_ids]
    elif isinstance(doc_ids, (pa.Array, pa.ChunkedArray)):
        doc_ids = doc_ids.to_pylist()
    ids = list(dict.fromkeys(doc_ids))  # one event per document, first-seen order
    if not ids:
        raise LabelError("no documents given to label")
    bad = [i for i in ids if not isinstance(i, str) or not i]
    if bad:
        raise LabelError(f"document ids must be non-empty strings, got {bad[0]!r}")
    return ids


def _author(author: str | None) -> str:
    if author is None:
        return default_author()
    if not isinstance(author, str) or not author:
        raise LabelError(f"author must be a non-empty string, got {author!r}")
    return author


def _new_action() -> str:
    return uuid.uuid4().hex


def _now_us() -> int:
    return time.time_ns() // 1000


def _max_at(events: pa.Table) -> int:
    if events.num_rows == 0:
        return 0
    top = pc.max(events["at"].cast(pa.int64())).as_py()
    return 0 if top is None else top


def _timestamps(at_us: int, n: int) -> pa.Array:
    return pa.array(np.full(n, at_us, dtype=np.int64)).cast(LABELS_SCHEMA.field("at").type)
