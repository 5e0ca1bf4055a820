"""Pass 1 of `loupe apply`, one chunk at a time: the columns a recipe's steps read.

For a chunk of good records this makes what `loupe index` would have stored (source fields
under the recipe's column names, every signal, `tokens`) and what the recipe adds: the
hand-label columns, the vectors (only when the recipe needs them) with each classifier's
score and the document's place on the recipe's map, and the keys global dedup compares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from indexing.errors import RecipeError
from indexing.ingest.columns import FieldNames, field_columns, overflow_text
from indexing.recipes.files import resolve
from indexing.recipes.recipe import Recipe
from indexing.recipes.schema import arrow_type
from indexing.signals.basic import TOKENS
from indexing.signals.document import document_signals
from indexing.signals.domain import domain_columns
from indexing.workspace.owned_columns import OVERFLOW_COLUMN

MINHASH_COLUMN, WORDS_COLUMN, VECTOR_COLUMN, EXACT_COLUMN = "_minhash", "_has_words", "_vector", "_exact"


@dataclass
class Scorer:
    """What every chunk is scored with: the model, the classifiers, labels, ids and map."""

    recipe: Recipe
    path: Path  # the recipe file (assets resolve against it)
    embedder: object
    names: FieldNames
    known: dict[str, pa.DataType] = field(default_factory=dict)
    warnings: Counter = field(default_factory=Counter)
    classifiers: list = field(default_factory=list)
    labels: pa.Table | None = None
    ids: pa.Array | None = None
    placer: object = None

    @classmethod
    def load(cls, recipe: Recipe, path: Path, embedder, fields: dict[str, str]) -> "Scorer":
        scorer = cls(recipe, Path(path), embedder, FieldNames(dict(fields), (), recipe.reading.max_fields))
        for name, kind in recipe.reading.columns.items():  # the workspace's types, as ingest's `known`
            parsed = arrow_type(kind)
            if not (pa.types.is_null(parsed) or pa.types.is_nested(parsed)):
                scorer.known[name] = parsed
        for use in recipe.classifiers:
            scorer.classifiers.append(_classifier(path, use, recipe))
        if recipe.labels is not None:
            scorer.labels = _parquet(path, recipe.labels.file, ["doc_id", *recipe.labels.names], "labels")
        if recipe.ids is not None:
            scorer.ids = _parquet(path, recipe.ids, ["id"], "ids")["id"].combine_chunks()
        if recipe.map is not None:
            scorer.placer = _placer(path, recipe.map)
        return scorer

    def score(self, rows: list[tuple[str, str, object]], first_pos: int, source_key: str) -> pa.Table:
        """Every column of the chunk's documents, in read order, with `_pos` their place in the run."""
        return self.enrich(self.frame(rows, first_pos, source_key))

    def frame(self, rows: list[tuple[str, str, object]], first_pos: int, source_key: str) -> dict[str, pa.Array]:
        """The columns that depend on the chunks before (field names and types): made in read
        order by whoever reads (the local loop, the Ray driver)."""
        texts = [text for _, text, _ in rows]
        n = len(rows)
        consumed = {self.recipe.reading.text_field, self.recipe.reading.id_field}
        stored_fields = []
        for _, _, record in rows:
            stored, extra = self.names.split(record.fields, consumed)
            if extra:
                stored[OVERFLOW_COLUMN] = overflow_text(extra)
            stored_fields.append(stored)
        columns, new_fields = field_columns(stored_fields, self.known, self.warnings)
        self.known.update({f.name: f.type for f in new_fields})
        table = {
            "id": pa.array([doc_id for doc_id, _, _ in rows], pa.string()),
            "text": pa.array(texts, pa.string()),
            "_source": pa.array([source_key] * n, pa.string()),
            "_ordinal": pa.array([r.ordinal for _, _, r in rows], pa.int64()),
            "_line": pa.array([r.line for _, _, r in rows], pa.int64()),
            "_pos": pa.array(np.arange(first_pos, first_pos + n, dtype=np.int64)),
            **columns,
        }
        for name, kind in self.recipe.reading.columns.items():  # a field these sources never give: null
            table.setdefault(name, pa.nulls(n, self.known.get(name) or arrow_type(kind)))
        for name, kind in self.known.items():  # a field an earlier chunk gave: null here, not missing
            table.setdefault(name, pa.nulls(n, kind))
        return table

    def enrich(self, table: dict[str, pa.Array]) -> pa.Table:
        """The columns computed from the chunk alone (signals, tokens, labels, vectors and their
        scores, dedup keys): the costly part, which any worker holding a Scorer can do."""
        texts = table["text"].to_pylist()
        table = dict(table)
        table.update(document_signals(texts))
        table.update(domain_columns(table, self.names.fields.values()))
        tokens = self.embedder.count_tokens(texts) if texts else []
        table[TOKENS] = pa.array(tokens, pa.int64())
        if self.labels is not None:
            table.update(self._labels(table["id"]))
        if self.ids is not None:
            table["_in_ids"] = pc.fill_null(pc.is_in(table["id"], value_set=self.ids), False)
        if self.recipe.needs_vectors:
            table.update(self._vectors(texts, tokens))
        table.update(self._dedup_keys(texts))
        return pa.table(table)

    def _labels(self, ids: pa.Array) -> dict[str, pa.Array]:
        positions = pc.index_in(ids, value_set=self.labels["doc_id"].combine_chunks())
        return {name: pc.fill_null(self.labels[name].combine_chunks().cast(pa.string()).take(positions), "")
                for name in self.recipe.labels.names}

    def _vectors(self, texts: list[str], tokens: list[int]) -> dict[str, pa.Array]:
        vectors = self.embedder.encode(texts, tokens) if texts else np.zeros((0, self.embedder.dimension), np.float32)
        out = {use.column: pa.array(clf.score(vectors), pa.float32())
               for use, clf in zip(self.recipe.classifiers, self.classifiers)}
        if self.placer is not None:
            placement = self.placer.place(vectors)
            out.update({"x": pa.array(placement.x, pa.float32()), "y": pa.array(placement.y, pa.float32()),
                        "cluster": pa.array(placement.cluster, pa.int32()),
                        "placed": pa.array(np.ones(len(texts), bool))})
        if self.recipe.dedup is not None and self.recipe.dedup.method == "semantic":
            out[VECTOR_COLUMN] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()),
                                                                   vectors.shape[1])
        return out

    def _dedup_keys(self, texts: list[str]) -> dict[str, pa.Array]:
        dedup = self.recipe.dedup
        if dedup is not None and dedup.method == "exact":
            from indexing.curate.dedup.exact import DIGEST_BYTES, text_key

            return {EXACT_COLUMN: pa.array([text_key(t) for t in texts], pa.binary(DIGEST_BYTES))}
        if dedup is None or dedup.method != "minhash":
            return {}
        from indexing.curate.dedup.minhash import signatures

        values, has_words = signatures(texts, dedup.num_perm, dedup.ngram, dedup.seed)
        width = 4 * dedup.num_perm
        data = np.ascontiguousarray(values, dtype="<u4").tobytes()
        return {MINHASH_COLUMN: pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(texts),
                                                                    [None, pa.py_buffer(data)]),
                WORDS_COLUMN: pa.array(has_words, pa.bool_())}


def _parquet(path: Path, relative: str, columns: list[str], what: str) -> pa.Table:
    file = resolve(path, relative)
    try:
        table = pq.read_table(file)
    except FileNotFoundError:
        raise RecipeError(f"{path}: its {what} file {file} is missing; save the recipe again") from None
    except (OSError, pa.ArrowException) as error:
        raise RecipeError(f"{path}: its {what} file {file} cannot be read ({error})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise RecipeError(f"{path}: its {what} file {file} lacks the column(s) {', '.join(missing)}")
    return table


def _classifier(path: Path, use, recipe: Recipe):
    from indexing.curate.classifiers.storage import FOLDER, load

    folder = resolve(path, use.weights)
    if folder.parent.name != FOLDER:
        raise RecipeError(f"{path}: classifier {use.name!r}: weights {use.weights!r} must be a folder "
                          f"inside a '{FOLDER}' folder")
    try:
        classifier = load(folder.parent.parent, folder.name)
    except RecipeError:
        raise
    except ValueError as error:  # ClassifierError: missing or damaged weights
        raise RecipeError(f"{path}: classifier {use.name!r}: {error}") from None
    if classifier.dimension != recipe.model.dimension:
        raise RecipeError(f"{path}: classifier {use.name!r} scores {classifier.dimension}-d vectors, "
                          f"the recipe's model gives {recipe.model.dimension}")
    return classifier


def _placer(path: Path, relative: str):
    from indexing.vectors.placement import MapPlacer

    file = resolve(path, relative)
    try:
        with np.load(file, allow_pickle=False) as data:
            xy = np.stack([data["x"], data["y"]], axis=1)
            return MapPlacer.from_arrays(data["vectors"], xy, data["cluster"])
    except FileNotFoundError:
        raise RecipeError(f"{path}: its map file {file} is missing; save the recipe again") from None
    except (OSError, ValueError, KeyError) as error:
        raise RecipeError(f"{path}: its map file {file} cannot be read ({error})") from None
