"""`explain(recipe)`: a recipe in plain words, for a curator, in the order `loupe apply` runs it.

    for line in explain(read_recipe("clean.yaml")):
        print(line)

Reading, the model, the signals and scores computed, whether it embeds (and for what),
the hand labels it carries, dedup (over every document read, before the filter), each
filter step with the reason a document it removes is given, the budget and the output.
It reads only the recipe (no assets, no model), so it works on any machine.
"""

from __future__ import annotations

import re

from indexing.recipes.recipe import Recipe, Step
from indexing.recipes.schema import DEDUP, MAP, available, computed

_DEDUP_METHODS = {"exact": "exact duplicates (the same normalised text)",
                  "minhash": "near duplicates (MinHash)", "semantic": "documents of the same meaning (SemDeDup)"}
_KEEP = {"longest": "the longest document", "first": "the first document read", "score": "the highest {column}"}
_FORMATS = {"jsonl": "JSONL", "parquet": "Parquet", "hf": "a Hugging Face dataset"}


def explain(recipe: Recipe) -> list[str]:
    """The recipe as sentences, one a line, in the order apply runs it."""
    read = _read_columns(recipe)
    return [*_reading(recipe), *_model(recipe, read), *_labels(recipe), *_dedup(recipe), *_filter(recipe),
            *_budget(recipe), *_output(recipe)]


def _count(number: int, word: str) -> str:
    return f"{number:,} {word}{'' if number == 1 else 's'}"


def _read_columns(recipe: Recipe) -> list[str]:
    """The columns the steps, the budget and dedup read (steps that do not parse: none)."""
    from indexing.curate.selection import referenced_columns
    from indexing.errors import LoupeError

    columns = available(recipe)
    read: list[str] = []
    for step in recipe.filter:
        try:
            read += referenced_columns(step.where, columns.schema, list(columns.labels))
        except LoupeError:
            pass
    if recipe.budget is not None:
        read += [c for c in ("tokens", recipe.budget.order_by, recipe.budget.balance_by) if c]
    if recipe.dedup is not None and recipe.dedup.score_column:
        read.append(recipe.dedup.score_column)
    return list(dict.fromkeys(read))


def _reading(recipe: Recipe) -> list[str]:
    reading = recipe.reading
    ids = (f"its id from the field {reading.id_field!r}" if reading.id_field
           else "as id `<source path>:<line>` (the recipe names no id field)")
    lines = [f"Reads each record's text from the field {reading.text_field!r} and {ids}; a text over "
             f"{reading.max_chars:,} characters is rejected."]
    if reading.columns:
        kept = ", ".join(reading.columns)
        lines.append(f"Keeps these source fields as columns: {kept} (at most {reading.max_fields:,}; the rest go "
                     "to extra_fields).")
    if reading.fields:
        lines.append("Renames source fields: " + ", ".join(f"{k} -> {v}" for k, v in reading.fields.items()) + ".")
    if recipe.ids:
        lines.append(f"Reads only the documents whose id is listed in {recipe.ids} (an explicit selection).")
    return lines


def _model(recipe: Recipe, read: list[str]) -> list[str]:
    model = recipe.model
    lines = [f"Uses the model {model.name} ({model.dimension}-d vectors; weights {model.fingerprint[:19]}...) "
             "to count tokens."]
    signals = [c for c in read if c in computed() and c not in ("id", "text")]
    lines.append("Computes Loupe's signals, rules and language columns for every document"
                 + (f"; the filter and budget read {', '.join(signals)}." if signals else "."))
    needs = [f"classifier {u.name}" for u in recipe.classifiers]
    if recipe.dedup is not None and recipe.dedup.method == "semantic":
        needs.append("semantic dedup")
    if recipe.map is not None:
        needs.append("placing documents on the map")
    if needs:
        lines.append(f"Embeds every document with {model.name}, for: {', '.join(needs)}.")
    else:
        lines.append("Does not embed: no classifier, semantic dedup or map needs vectors.")
    for use in recipe.classifiers:
        lines.append(f"Scores every document with the classifier {use.name} (column {use.column}; weights in "
                     f"{use.weights}).")
    if recipe.map is not None:
        lines.append(f"Places every document on the sample's map ({', '.join(MAP)}) from its nearest fitted "
                     f"neighbours in {recipe.map}.")
    return lines


def _labels(recipe: Recipe) -> list[str]:
    if recipe.labels is None:
        return []
    lines = []
    for name in recipe.labels.names:
        counts = recipe.labels.counts.get(name, {})
        shown = ", ".join(f"{value} {_count(n, 'document')}" for value, n in sorted(counts.items()))
        lines.append(f"Carries the hand labels {name!r} from the sample ({shown or 'no counts recorded'}), by "
                     f"document id, from {recipe.labels.file}; an unlabelled document has the value ''.")
    return lines


def _dedup(recipe: Recipe) -> list[str]:
    dedup = recipe.dedup
    if dedup is None:
        return []
    how = _DEDUP_METHODS.get(dedup.method, dedup.method)
    if dedup.method == "minhash":
        how += f", Jaccard similarity >= {dedup.threshold:g} ({dedup.num_perm} permutations, {dedup.ngram}-grams)"
    elif dedup.method == "semantic":
        how += f", cosine similarity >= {dedup.threshold:g}"
    keep = _KEEP.get(dedup.keep, dedup.keep).format(column=dedup.score_column)
    return [f"Finds {how} over every document read, before the filter; keeps {keep} of each group "
            f"({', '.join(DEDUP)}: dup_keep is false for the others)."]


def _step(number: int, step: Step, recipe: Recipe) -> str:
    line = f"{number}. Keeps documents where `{step.where}`; removes the rest with the reason `{step.where}`"
    about = []
    for use in recipe.classifiers:
        if re.search(rf"\b{re.escape(use.column)}\b", step.where) and use.threshold is not None:
            share = f", which kept {use.keep_top:.1%} of the sample" if use.keep_top is not None else ""
            about.append(f"classifier {use.name}: threshold {use.threshold:g}, frozen{share}")
    if not about and step.about:
        about.append(step.about)
    return line + (f" ({'; '.join(about)})." if about else ".")


def _filter(recipe: Recipe) -> list[str]:
    if not recipe.filter:
        return ["Has no filter: every document read passes on to the budget and the output."]
    lines = [f"Filters in {_count(len(recipe.filter), 'step')}, in this order; a document is kept only if it "
             "passes all, and a removed one gets the reason of the first step it fails:"]
    return lines + [_step(i, step, recipe) for i, step in enumerate(recipe.filter, start=1)]


def _budget(recipe: Recipe) -> list[str]:
    budget = recipe.budget
    if budget is None:
        return ["Has no token budget: every document the filter keeps is written."]
    order = (f"{'highest' if budget.descending else 'lowest'} {budget.order_by} first" if budget.order_by
             else f"in a random order (seed {budget.seed})")
    line = f"Then keeps at most {budget.tokens:,} tokens of what the filter keeps, {order}"
    if budget.balance_by:
        cap = (f"no group above {budget.max_share:.1%} of the tokens" if budget.max_share is not None
               else "no group above twice an equal share of the tokens")
        line += f", taking the groups of {budget.balance_by} in turn, {cap}"
    return [line + "; the documents it leaves out are removed with the reason 'budget'."]


def _output(recipe: Recipe) -> list[str]:
    out = recipe.output
    columns = (f"the columns {', '.join(out.columns)}" if out.columns
               else "every column but Loupe's internal ones")
    files = f"in files of at most {out.shard_rows:,} rows" if out.shard_rows else "in one file"
    line = f"Writes the kept documents as {_FORMATS.get(out.format, out.format)}, {columns}, {files}"
    if out.removed:
        return [line + "; every removed document goes under removed/, with its reason and the value that failed."]
    return [line + "; removed documents are only counted, not written."]
