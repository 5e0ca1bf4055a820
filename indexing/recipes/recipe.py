"""What a recipe says: a curation, as data that a person can read and a machine re-apply.

A recipe is the complete answer to "which documents does this curation keep?", for
documents it has never seen: how to read them (text and id fields, how source fields
become columns), which model embeds them (its name and a fingerprint of its weights), the
filter as ordered steps, the classifiers that score them (weights beside the recipe) with
frozen thresholds, the hand-label decisions the filter reads, dedup, the token budget and
the output. `files.py` writes it as YAML; this module holds it and validates a loaded one
field by field, so a bad recipe fails with the key that is wrong, never later.

The filter is a list of steps, each a SQL predicate over the columns `loupe apply` makes
(the workspace's columns: source fields, signals, `tokens`, `lang`, `score_<classifier>`,
one string column per label name, `dup_keep` when the recipe dedups, `x`/`y`/`cluster`
when it carries the map). A document is kept when every step holds, which is exactly the
AND of the steps; the first step that does not hold is the reason it was removed.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from indexing.errors import RecipeError

RECIPE_VERSION = 1
FORMATS = ("jsonl", "parquet", "hf")
DEDUP_METHODS = ("exact", "minhash", "semantic")
KEEP_RULES = ("longest", "score", "first")


@dataclass(frozen=True)
class Reading:
    """How records become rows, as in the workspace the recipe came from (same ids, same columns)."""

    text_field: str = "text"
    id_field: str | None = None  # None: ids are `<path as given>:<line>`, as `loupe index` makes them
    max_chars: int = 1_000_000
    max_fields: int = 1000
    fields: dict[str, str] = field(default_factory=dict)  # source field -> column, where they differ
    # the columns the sources gave the workspace -> their Arrow type (`str(pa.DataType)`), so a
    # step can be checked against the columns it reads without the workspace
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """The model whose tokens and vectors the recipe's columns were computed with."""

    name: str
    dimension: int
    fingerprint: str  # "sha256:..." of the weights (`indexing.vectors.fingerprint`)


@dataclass(frozen=True)
class Step:
    """One filter condition; `about` says in words where it came from (a rule, a label...)."""

    where: str
    about: str | None = None


@dataclass(frozen=True)
class ClassifierUse:
    """A classifier the filter (or the budget, or dedup's keep rule) reads as `column`."""

    name: str
    column: str
    weights: str  # the folder holding coef.npy and meta.json, relative to the recipe file
    threshold: float | None = None  # the frozen cut, when a filter step has one
    keep_top: float | None = None  # the share of the sample the cut kept, for people


@dataclass(frozen=True)
class Labels:
    """The hand-label decisions the filter reads: the current labels of `names` at save time."""

    file: str  # a Parquet table doc_id + one string column per name, relative to the recipe file
    names: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Dedup:
    """Duplicates found over every document read; `dup_keep = true` in the filter drops them."""

    method: str
    threshold: float
    keep: str = "longest"
    score_column: str | None = None
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1


@dataclass(frozen=True)
class Budget:
    """The best documents, among those the filter keeps, that fill `tokens` (see curate/budget.py)."""

    tokens: int
    order_by: str | None = None
    descending: bool = True
    balance_by: str | None = None
    max_share: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class Output:
    format: str = "jsonl"
    columns: list[str] | None = None  # None: every column but Loupe's internal ones
    shard_rows: int | None = 100_000
    removed: bool = True  # write the removed documents, with their reason, under removed/


@dataclass(frozen=True)
class Recipe:
    model: Model
    reading: Reading = field(default_factory=Reading)
    filter: list[Step] = field(default_factory=list)
    classifiers: list[ClassifierUse] = field(default_factory=list)
    labels: Labels | None = None
    ids: str | None = None  # a Parquet table of ids to keep (an explicit selection), relative
    map: str | None = None  # the fitted map (vectors, x, y, cluster) as .npz, relative
    dedup: Dedup | None = None
    budget: Budget | None = None
    output: Output = field(default_factory=Output)
    made_from: dict[str, Any] = field(default_factory=dict)  # for people: workspace, versions, export
    recipe_version: int = RECIPE_VERSION
    loupe_version: str = ""
    created_at: str = ""

    @property
    def where(self) -> str | None:
        """The filter as one predicate (the AND of its steps)."""
        if not self.filter:
            return None
        return " AND ".join(f"({s.where})" for s in self.filter) if len(self.filter) > 1 else self.filter[0].where

    @property
    def needs_vectors(self) -> bool:
        """Whether applying it embeds: a classifier, semantic dedup or the map needs vectors."""
        return bool(self.classifiers) or self.map is not None or (self.dedup is not None
                                                                  and self.dedup.method == "semantic")

    def as_dict(self) -> dict:
        """Plain data in the order the YAML file shows it."""
        data = asdict(self)
        order = ["recipe_version", "loupe_version", "created_at", "made_from", "reading", "model", "filter",
                 "classifiers", "labels", "ids", "map", "dedup", "budget", "output"]
        return {key: data[key] for key in order}


# ---- reading plain data back, key by key ---------------------------------------


def _fail(where: str, message: str) -> RecipeError:
    return RecipeError(f"{where}: {message}")


def _check_type(where: str, value, types, name: str):
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise _fail(where, f"{name} must be {_kind(types)}, not {value!r}")
    if not isinstance(value, types):
        raise _fail(where, f"{name} must be {_kind(types)}, not {value!r}")
    return value


def _kind(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    words = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
             dict: "a mapping", type(None): "empty"}
    return " or ".join(dict.fromkeys(words.get(t, t.__name__) for t in types))


# the types each dataclass field accepts in YAML (ints pass where floats are asked)
_NUMBER = (int, float)
_TYPES: dict[type, dict[str, Any]] = {
    Reading: {"text_field": str, "id_field": (str, type(None)), "max_chars": int, "max_fields": int, "fields": dict,
              "columns": dict},
    Model: {"name": str, "dimension": int, "fingerprint": str},
    Step: {"where": str, "about": (str, type(None))},
    ClassifierUse: {"name": str, "column": str, "weights": str, "threshold": (*_NUMBER, type(None)),
                    "keep_top": (*_NUMBER, type(None))},
    Labels: {"file": str, "names": list, "counts": dict},
    Dedup: {"method": str, "threshold": _NUMBER, "keep": str, "score_column": (str, type(None)), "num_perm": int,
            "ngram": int, "seed": int},
    Budget: {"tokens": int, "order_by": (str, type(None)), "descending": bool, "balance_by": (str, type(None)),
             "max_share": (*_NUMBER, type(None)), "seed": int},
    Output: {"format": str, "columns": (list, type(None)), "shard_rows": (int, type(None)), "removed": bool},
}


def _build(kind: type, data, where: str):
    if not isinstance(data, dict):
        raise _fail(where, f"must be a mapping of keys to values, not {data!r}")
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
    required = [f.name for f in fields(kind) if f.default is MISSING and f.default_factory is MISSING]
    missing = [k for k in required if k not in data]
    if missing:
        raise _fail(where, f"missing key(s) {', '.join(map(repr, missing))}")
    for key, value in data.items():
        _check_type(where, value, _TYPES[kind][key], key)
    return kind(**data)


def _list(kind: type, data, where: str) -> list:
    if data is None:
        return []
    if not isinstance(data, list):
        raise _fail(where, f"must be a list, not {data!r}")
    return [_build(kind, item, f"{where}[{i}]") for i, item in enumerate(data)]


def recipe_from_dict(data, where: str) -> Recipe:
    """A Recipe from the plain data of a YAML file (`where` names the file in errors)."""
    if not isinstance(data, dict):
        raise _fail(where, "is not a recipe (a mapping of keys to values expected)")
    version = data.get("recipe_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail(where, "has no recipe_version; is this a Loupe recipe?")
    if version > RECIPE_VERSION:
        raise _fail(where, f"recipe_version {version} is newer than this Loupe reads ({RECIPE_VERSION}); "
                           "upgrade Loupe to apply it")
    known = {f.name for f in fields(Recipe)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
    if "model" not in data:
        raise _fail(where, "missing key 'model' (name, dimension, fingerprint)")
    recipe = Recipe(
        model=_build(Model, data["model"], f"{where}: model"),
        reading=_build(Reading, data.get("reading") or {}, f"{where}: reading"),
        filter=_list(Step, data.get("filter"), f"{where}: filter"),
        classifiers=_list(ClassifierUse, data.get("classifiers"), f"{where}: classifiers"),
        labels=None if data.get("labels") is None else _build(Labels, data["labels"], f"{where}: labels"),
        ids=_check_type(f"{where}: ids", data.get("ids"), (str, type(None)), "ids"),
        map=_check_type(f"{where}: map", data.get("map"), (str, type(None)), "map"),
        dedup=None if data.get("dedup") is None else _build(Dedup, data["dedup"], f"{where}: dedup"),
        budget=None if data.get("budget") is None else _build(Budget, data["budget"], f"{where}: budget"),
        output=_build(Output, data.get("output") or {}, f"{where}: output"),
        made_from=_check_type(f"{where}: made_from", data.get("made_from") or {}, dict, "made_from"),
        recipe_version=version,
        loupe_version=str(data.get("loupe_version") or ""),
        created_at=str(data.get("created_at") or ""),
    )
    check_settings(recipe, where)
    return recipe


def check_settings(recipe: Recipe, where: str) -> None:
    """The values that have a range, checked before anything runs."""
    out, dedup, budget = recipe.output, recipe.dedup, recipe.budget
    if out.format not in FORMATS:
        raise _fail(f"{where}: output", f"format {out.format!r} is not one of {', '.join(FORMATS)}")
    if out.shard_rows is not None and out.shard_rows < 1:
        raise _fail(f"{where}: output", f"shard_rows must be at least 1 (or empty), not {out.shard_rows}")
    if dedup is not None:
        if dedup.method not in DEDUP_METHODS:
            raise _fail(f"{where}: dedup", f"method {dedup.method!r} is not one of {', '.join(DEDUP_METHODS)}")
        if dedup.keep not in KEEP_RULES:
            raise _fail(f"{where}: dedup", f"keep {dedup.keep!r} is not one of {', '.join(KEEP_RULES)}")
        if not 0 < dedup.threshold <= 1:
            raise _fail(f"{where}: dedup", f"threshold {dedup.threshold} is not a similarity in (0, 1]")
        if dedup.keep == "score" and not dedup.score_column:
            raise _fail(f"{where}: dedup", "keep 'score' needs a score_column")
    if budget is not None:
        if budget.tokens < 0:
            raise _fail(f"{where}: budget", f"tokens must be 0 or more, not {budget.tokens}")
        if budget.max_share is not None and not 0 < budget.max_share <= 1:
            raise _fail(f"{where}: budget", f"max_share {budget.max_share} is not a share in (0, 1]")
        if budget.max_share is not None and budget.balance_by is None:
            raise _fail(f"{where}: budget", "max_share needs balance_by")
    if recipe.model.dimension < 1:
        raise _fail(f"{where}: model", f"dimension must be positive, not {recipe.model.dimension}")
    if recipe.labels is not None and not all(isinstance(n, str) for n in recipe.labels.names):
        raise _fail(f"{where}: labels", "names must be a list of label names")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in recipe.reading.columns.items()):
        raise _fail(f"{where}: reading", "columns must map each column name to its Arrow type, e.g. `kind: string`")
    if recipe.output.columns is not None and not all(isinstance(c, str) for c in recipe.output.columns):
        raise _fail(f"{where}: output", "columns must be a list of column names")
