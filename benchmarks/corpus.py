"""The benchmark corpus: real Python text that every machine with Loupe installed already has.

The first records come from the running interpreter's standard library, tests included
(``indexing.demo_corpus.stdlib_documents``), which holds about 66,000 records. A corpus
larger than that (the 100,000-document index benchmark) is filled up with records cut
the same way (same ``ast`` walk, sources sliced by ``lineno``/``end_lineno``) out of the
interpreter's site-packages: numpy, scipy, sklearn, pandas, torch, transformers, ...

Every record is ``{"id", "text", "kind", "module"}`` as in the demo corpus. The result is
deterministic for a given ``(n, seed, kinds)``, Python version and set of installed
packages, and it is cached as JSONL under ``benchmarks/out/`` (with a ``.meta.json`` beside
it) so that every script, and every run, reuses the same file.

    .venv/bin/python benchmarks/corpus.py --docs 500                 # build (or reuse) and describe
    .venv/bin/python benchmarks/corpus.py --docs 500 --stdlib-limit 200   # exercise the site-packages part
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import random
import statistics
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
if str(ROOT) not in sys.path:  # run as `python benchmarks/corpus.py` from anywhere
    sys.path.insert(0, str(ROOT))

from indexing.demo_corpus import (  # noqa: E402
    KINDS,
    _file_records,
    module_name,
    stdlib_documents,
    stdlib_files,
    write_jsonl,
)

CORPUS_VERSION = 1  # bump when the way records are chosen changes (invalidates caches)


def _encodable(text: str) -> bool:
    """False for text with lone surrogates (from escapes in docstrings): not valid UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _wanted(kinds: frozenset[str] | None):
    def keep(rec: dict) -> bool:
        return (kinds is None or rec["kind"] in kinds) and _encodable(rec["text"])

    return keep


# ---- the standard library part ----------------------------------------------------------


def _stdlib_part(n: int, seed: int, kinds: frozenset[str] | None) -> list[dict]:
    """Up to n records of `kinds` from the standard library (tests included), by id.

    ``stdlib_documents(ask)`` is asked for more than n when a kind filter throws records
    away, growing ``ask`` until n are left after the filter or the library runs out.
    """
    if n <= 0:
        return []
    keep = _wanted(kinds)
    ask = n if kinds is None else 2 * n
    while True:
        records = stdlib_documents(ask, seed=seed, include_tests=True)
        found = [r for r in records if keep(r)]
        if len(found) >= n:
            chosen = found if len(found) == n else random.Random(seed).sample(found, n)
            return sorted(chosen, key=lambda r: r["id"])
        if len(records) < ask:  # the library is exhausted: all of it was returned
            return found
        ask = math.ceil(ask * n / max(1, len(found)) * 1.1) + 16


# ---- the site-packages part -------------------------------------------------------------


def site_roots() -> list[Path]:
    """The running interpreter's site-packages directories (purelib, platlib), deduplicated."""
    roots: list[Path] = []
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path and Path(path).is_dir() and Path(path).resolve() not in [r.resolve() for r in roots]:
            roots.append(Path(path))
    return roots


def site_fingerprint() -> str:
    """Which distributions (name and version) are installed: the site-packages part of a
    cached corpus is only reused while this is unchanged."""
    names = sorted(p.name for root in site_roots() for p in root.glob("*.dist-info"))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def _site_files() -> list[tuple[Path, Path]]:
    """(root, file) for every importable ``*.py`` file of site-packages, sorted.

    ``stdlib_files`` does the walking: it skips caches, ``*.dist-info`` and other
    non-package directories; editable-install finders are skipped here.
    """
    files: list[tuple[Path, Path]] = []
    for root in site_roots():
        for path in stdlib_files(include_tests=True, root=root):
            if path.name.startswith("__editable__"):
                continue
            files.append((root, path))
    return files


def _site_part(n: int, seed: int, kinds: frozenset[str] | None, taken: set[str]) -> list[dict]:
    """Up to n records of `kinds` from site-packages whose ids are not in `taken`.

    As ``stdlib_documents``: files in a seeded random order, parsed until 2 * n candidates
    are in hand, then n of them chosen with the same generator.
    """
    if n <= 0:
        return []
    keep = _wanted(kinds)
    files = _site_files()
    rng = random.Random(seed)
    rng.shuffle(files)
    candidates: list[dict] = []
    seen = set(taken)
    for root, path in files:
        module = module_name(path, root)
        for rec in _file_records(path, module):
            if rec["id"] not in seen and keep(rec):
                seen.add(rec["id"])
                candidates.append(rec)
        if len(candidates) >= 2 * n:
            break
    chosen = candidates if len(candidates) <= n else rng.sample(candidates, n)
    return sorted(chosen, key=lambda r: r["id"])


# ---- the corpus -------------------------------------------------------------------------


def build(
    n: int, seed: int = 0, kinds: Sequence[str] | None = None, stdlib_limit: int | None = None
) -> tuple[list[dict], dict]:
    """n records (fewer only if the machine has not that much Python), and a description.

    ``stdlib_limit`` caps the standard-library part (for exercising the site-packages part
    on a small corpus); by default the standard library is used up first.
    """
    wanted = frozenset(kinds) if kinds else None
    if wanted and not wanted <= set(KINDS):
        raise ValueError(f"unknown kinds {sorted(wanted - set(KINDS))}; known: {KINDS}")
    started = time.perf_counter()
    std = _stdlib_part(n if stdlib_limit is None else min(n, stdlib_limit), seed, wanted)
    site = _site_part(n - len(std), seed, wanted, {r["id"] for r in std})
    records = sorted(std + site, key=lambda r: r["id"])
    meta = {
        "corpus_version": CORPUS_VERSION,
        "asked": n,
        "docs": len(records),
        "seed": seed,
        "kinds": sorted(wanted) if wanted else None,
        "stdlib_limit": stdlib_limit,
        "python": platform.python_version(),
        "stdlib_docs": len(std),
        "site_packages_docs": len(site),
        "site_fingerprint": site_fingerprint() if site else None,
        "site_packages": _top_packages(site),
        "by_kind": dict(sorted(Counter(r["kind"] for r in records).items())),
        "chars": _describe([len(r["text"]) for r in records]),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    return records, meta


def _top_packages(records: Iterable[dict], top: int = 12) -> dict[str, int]:
    counts = Counter(r["module"].split(".")[0] for r in records)
    return dict(counts.most_common(top))


def _describe(values: list[int]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def pct(p: float) -> int:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "mean": round(statistics.fmean(ordered), 1),
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p99": pct(0.99),
        "max": ordered[-1],
        "total": sum(ordered),
    }


def cache_path(n: int, seed: int = 0, kinds: Sequence[str] | None = None, stdlib_limit: int | None = None) -> Path:
    tag = "-".join(sorted(kinds)) if kinds else "all"
    limit = f"-std{stdlib_limit}" if stdlib_limit is not None else ""
    return OUT / f"corpus-{tag}-n{n}-seed{seed}{limit}-py{platform.python_version()}.jsonl"


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name[: -len(".jsonl")] + ".meta.json")


def corpus(
    n: int,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    stdlib_limit: int | None = None,
    rebuild: bool = False,
) -> tuple[Path, dict]:
    """The cached JSONL of ``build(n, seed, kinds, stdlib_limit)`` (built if missing or
    stale) and its description."""
    path = cache_path(n, seed, kinds, stdlib_limit)
    meta_file = _meta_path(path)
    if not rebuild and path.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        fresh = meta.get("corpus_version") == CORPUS_VERSION and (
            not meta.get("site_packages_docs") or meta.get("site_fingerprint") == site_fingerprint()
        )
        if fresh:
            meta["cached"] = True
            return path, meta
    OUT.mkdir(parents=True, exist_ok=True)
    records, meta = build(n, seed, kinds, stdlib_limit)
    write_jsonl(records, path)
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    meta["cached"] = False
    return path, meta


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def describe(path: Path, meta: dict) -> str:
    chars = meta.get("chars", {})
    lines = [
        f"corpus   {path}" + ("  (cached)" if meta.get("cached") else f"  (built in {meta['build_seconds']} s)"),
        f"docs     {meta['docs']:,} of {meta['asked']:,} asked: {meta['stdlib_docs']:,} standard library"
        f" + {meta['site_packages_docs']:,} site-packages",
        "kinds    " + ", ".join(f"{k} {v:,}" for k, v in meta["by_kind"].items()),
    ]
    if chars:
        lines.append(
            f"chars    mean {chars['mean']:,}  p50 {chars['p50']:,}  p90 {chars['p90']:,}"
            f"  p99 {chars['p99']:,}  max {chars['max']:,}"
        )
    if meta.get("site_packages"):
        lines.append("packages " + ", ".join(f"{k} {v:,}" for k, v in meta["site_packages"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents (default 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="*", choices=KINDS, help="keep only these kinds (default all)")
    parser.add_argument("--stdlib-limit", type=int, help="take at most this many from the standard library")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached file")
    args = parser.parse_args(argv)
    path, meta = corpus(args.docs, args.seed, args.kinds, args.stdlib_limit, args.rebuild)
    print(describe(path, meta))


if __name__ == "__main__":
    main()
