"""`explain` says a recipe in words, in the order `loupe apply` runs it."""

from __future__ import annotations

from indexing.recipes.explain import explain
from indexing.recipes.recipe import Budget, ClassifierUse, Dedup, Labels, Model, Output, Reading, Recipe, Step

MODEL = Model("hash:32", 32, "sha256:" + "ab" * 32)


def _full() -> Recipe:
    return Recipe(
        model=MODEL,
        reading=Reading("body", "doc_id", columns={"kind": "string", "year": "int64"}, fields={"Kind": "kind"}),
        filter=[Step("tokens >= 20 AND tokens <= 5000"), Step("quality != 'bad'", "hand labels"),
                Step("score_quality >= 0.42", "classifier quality"), Step("dup_keep = true", "duplicates")],
        classifiers=[ClassifierUse("quality", "score_quality", "clean.assets/classifiers/quality", 0.42, 0.25)],
        labels=Labels("clean.assets/labels.parquet", ["quality"], {"quality": {"bad": 7, "good": 12}}),
        dedup=Dedup("minhash", 0.8, "longest", num_perm=64, ngram=3),
        budget=Budget(5_000_000, order_by="score_quality", balance_by="cluster", max_share=0.05),
        map="clean.assets/map.npz",
        output=Output("parquet", ["id", "text"], 50_000, removed=True),
    )


def _index(lines: list[str], words: str) -> int:
    found = [i for i, line in enumerate(lines) if words in line]
    assert len(found) == 1, (words, lines)
    return found[0]


def test_every_part_is_said_in_the_order_apply_runs_it():
    lines = explain(_full())
    order = [_index(lines, w) for w in (
        "text from the field 'body' and its id from the field 'doc_id'",
        "Keeps these source fields as columns: kind, year",
        "Renames source fields: Kind -> kind",
        "Uses the model hash:32 (32-d vectors",
        "Embeds every document with hash:32, for: classifier quality, placing documents on the map",
        "Scores every document with the classifier quality",
        "Carries the hand labels 'quality' from the sample (bad 7 documents, good 12 documents)",
        "near duplicates (MinHash), Jaccard similarity >= 0.8 (64 permutations, 3-grams) over every document read, "
        "before the filter; keeps the longest document of each group",
        "Filters in 4 steps",
        "1. Keeps documents where `tokens >= 20 AND tokens <= 5000`; removes the rest with the reason "
        "`tokens >= 20 AND tokens <= 5000`",
        "2. Keeps documents where `quality != 'bad'`",
        "3. Keeps documents where `score_quality >= 0.42`",
        "4. Keeps documents where `dup_keep = true`",
        "Then keeps at most 5,000,000 tokens of what the filter keeps, highest score_quality first, taking the "
        "groups of cluster in turn, no group above 5.0% of the tokens",
        "Writes the kept documents as Parquet, the columns id, text, in files of at most 50,000 rows; every "
        "removed document goes under removed/",
    )]
    assert order == sorted(order)
    step = lines[_index(lines, "3. Keeps documents")]
    assert "classifier quality: threshold 0.42, frozen, which kept 25.0% of the sample" in step
    assert "the filter and budget read tokens, score_quality" not in " ".join(lines)  # scores are not signals
    assert "the filter and budget read tokens." in lines[_index(lines, "Computes Loupe's signals")]


def test_a_rules_only_recipe_does_not_embed_and_says_what_it_lacks():
    recipe = Recipe(model=MODEL, filter=[Step("gopher_word_count >= 50")],
                    output=Output("jsonl", None, None, removed=False))
    lines = explain(recipe)
    assert "Does not embed: no classifier, semantic dedup or map needs vectors." in lines
    assert "the filter and budget read gopher_word_count." in lines[_index(lines, "Computes Loupe's signals")]
    assert any(line.startswith("as id") or "`<source path>:<line>`" in line for line in lines)
    assert "Has no token budget: every document the filter keeps is written." in lines
    assert lines[-1] == ("Writes the kept documents as JSONL, every column but Loupe's internal ones, in one file; "
                         "removed documents are only counted, not written.")
    assert not any("duplicates" in line for line in lines)


def test_no_filter_a_random_budget_and_semantic_dedup():
    recipe = Recipe(model=MODEL, dedup=Dedup("semantic", 0.95, "score", score_column="score_q"),
                    budget=Budget(1000, seed=7), ids="x.assets/ids.parquet")
    lines = explain(recipe)
    assert "Embeds every document with hash:32, for: semantic dedup." in lines
    assert any("cosine similarity >= 0.95" in line and "keeps the highest score_q of each group" in line
               for line in lines)
    assert "Has no filter: every document read passes on to the budget and the output." in lines
    assert any("in a random order (seed 7)" in line for line in lines)
    assert any("whose id is listed in x.assets/ids.parquet" in line for line in lines)
