"""Rule suites and language identification: documents per second on one core.

Bar (issue 4): at least 1,000 documents of 2 KB per second per core, all rule suites
together (Gopher quality + repetition, C4, FineWeb). Language identification is measured
on its own, and all suites plus language together is what `loupe index` adds per document.

* Documents: real text, the standard library's docstrings and function sources
  (``indexing.demo_corpus.stdlib_documents(..., include_tests=True)``, sorted by id, so
  neighbours come from the same module), concatenated in that order and cut into
  documents of 2,048 characters (``--chars``): each one a page of one module's
  documentation and code.
* One process pinned to one core (``os.sched_setaffinity(0, {core})``), in batches of
  1,024 documents (``loupe index``'s chunk size) through ``indexing.signals.rules.compute_rules``
  and ``indexing.signals.language.detect``; after a warm-up, each measurement is the best of
  ``--repeats`` runs over all documents.
* Prints docs/s and MB/s per measurement and the bar, and writes
  ``benchmarks/out/signals.json``. Asserts nothing about time.

    .venv/bin/python benchmarks/signals.py                  # 5,000 documents of 2 KB
    .venv/bin/python benchmarks/signals.py --docs 1000 --repeats 1   # a quick look
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core means one thread everywhere

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.results import write_result  # noqa: E402

BAR_DOCS_PER_SECOND = 1_000
BATCH = 1024


def documents(count: int, chars: int, seed: int) -> list[str]:
    """`count` documents of `chars` characters cut from the standard library's text."""
    from indexing.demo_corpus import stdlib_documents

    records = stdlib_documents(min(70_000, max(1_000, count * chars // 350)), seed=seed, include_tests=True)
    text = "\n\n".join(r["text"] for r in records)
    docs = [text[i:i + chars] for i in range(0, len(text) - chars + 1, chars)]
    if len(docs) < count:
        print(f"note: the library holds {len(docs):,} documents of {chars:,} characters; reusing them", flush=True)
        docs = (docs * (count // max(1, len(docs)) + 1))[:count]
    return docs[:count]


def measure(name: str, run, docs: list[str], repeats: int) -> dict:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(docs), BATCH):
            run(docs[i:i + BATCH])
        best = min(best, time.perf_counter() - started)
    megabytes = sum(len(d.encode("utf-8")) for d in docs) / 1e6
    result = {"name": name, "seconds": round(best, 3), "docs_per_second": round(len(docs) / best),
              "mb_per_second": round(megabytes / best, 2)}
    print(f"{name:<28} {best:8.2f} s {result['docs_per_second']:>10,} docs/s {result['mb_per_second']:>8.2f} MB/s",
          flush=True)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5_000, help="documents (default 5,000)")
    parser.add_argument("--chars", type=int, default=2_048, help="characters per document (default 2,048)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the best counts")
    parser.add_argument("--core", type=int, default=0, help="the core to pin to (default 0)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT / "signals.json")
    args = parser.parse_args(argv)

    pinned = None
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.core})
        pinned = sorted(os.sched_getaffinity(0))
    from indexing.signals.language import detect
    from indexing.signals.rules import SUITES, compute_rules

    started = time.perf_counter()
    docs = documents(args.docs, args.chars, args.seed)
    print(f"{len(docs):,} documents of {args.chars:,} characters from the standard library "
          f"({time.perf_counter() - started:.1f} s); pinned to cores {pinned}; load {os.getloadavg()[0]:.2f}",
          flush=True)
    compute_rules(docs[:256])  # warm-up: imports, first allocations, the language model
    detect(docs[:256])

    results = [measure("all suites", compute_rules, docs, args.repeats)]
    for name in SUITES:
        results.append(measure(f"  {name}", lambda batch, name=name: compute_rules(batch, [name]), docs, args.repeats))
    results.append(measure("language (lid.176.ftz)", detect, docs, args.repeats))
    results.append(measure("all suites + language", lambda b: (compute_rules(b), detect(b)), docs, args.repeats))

    rate = results[0]["docs_per_second"]
    met = rate >= BAR_DOCS_PER_SECOND
    print(f"bar: all suites >= {BAR_DOCS_PER_SECOND:,} docs/s per core: {rate:,} "
          f"({rate / BAR_DOCS_PER_SECOND:.1f}x) {'met' if met else 'NOT met'}")
    report = {
        "docs": len(docs), "chars_per_doc": args.chars, "batch": BATCH, "repeats": args.repeats,
        "pinned_cores": pinned, "results": results,
        "bar": {"docs_per_second_per_core": BAR_DOCS_PER_SECOND, "measured": rate, "met": met},
    }
    write_result("signals", report, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
