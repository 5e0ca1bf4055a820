"""`loupe apply`: a recipe re-applied to any corpus, streaming, resumable, with every removal's reason.

    from indexing.apply import apply_recipe
    result = apply_recipe("clean.yaml", ["shard-*.jsonl"], "out/clean")
    result.kept, result.removed, result.manifest["removed"]["by_reason"]

- run.py       the two passes and the manifest (read its docstring first)
- reading.py   sources -> chunks of validated records, as `loupe index` reads them
- scoring.py   a chunk -> every column the recipe reads (signals, labels, scores, map, dedup keys)
- steps.py     the filter steps over a batch: which one removes each document, and the value
- work.py      OUT/.work: tasks, ids and exact-dedup keys on disk (SQLite), resumable
- dedup.py     global dedup between the passes (exact, MinHash, semantic)
- decide.py    the one reason per document, and the token budget
- output.py    pass 2: kept shards, removed/ with reason and reason_value, manifest last
"""

from indexing.apply.run import ApplyResult, apply_recipe

__all__ = ["apply_recipe", "ApplyResult"]
