"""The real half of the 1M-document benchmark: ~100k short real paragraphs and their real vectors.

Sources (all already on the machine, written by others):
- the Python standard library (tests included): module/class/function docstrings and
  function sources, cut the way the demo corpus cuts them (``indexing.demo_corpus``);
- the manual pages under /usr/share/man (rendered by ``man`` as benchmarks/manpages.py does,
  every section of every page, not just NAME and DESCRIPTION);
- the plain-text files under /usr/share/doc (READMEs, changelogs, copyright files, gzipped or not).

Each text is split at blank lines into paragraphs; a paragraph of 20-200 words is a document.
Paragraphs that are equal after exact-dedup normalisation are kept once. The paragraphs are
embedded once with Loupe's own embedder (the real all-MiniLM-L6-v2 by default) and cached with
their texts under ~/.cache/loupe/bench/ (never in the repository), so reruns skip it:

    real-<n>.jsonl     {"id", "text", "source"} per paragraph, in vector order
    real-<n>.npy       float32 (n, dim) normalised vectors
    real-<n>.meta.json provenance: counts per source, model, seconds spent embedding

    nice -n 10 .venv/bin/python benchmarks/scale_corpus.py --docs 101000
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.append(str(HERE))

import numpy as np  # noqa: E402

import manpages  # noqa: E402
from indexing.demo_corpus import _file_records, module_name, stdlib_files  # noqa: E402

CACHE = Path(os.environ.get("LOUPE_BENCH_CACHE") or Path.home() / ".cache" / "loupe" / "bench")
DOC_ROOT = Path("/usr/share/doc")
MIN_WORDS, MAX_WORDS = 20, 200
_BLANK = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> Iterator[str]:
    """The blank-line separated parts of `text` that hold MIN_WORDS to MAX_WORDS words."""
    for part in _BLANK.split(text):
        part = part.strip()
        words = len(part.split())
        if MIN_WORDS <= words <= MAX_WORDS:
            yield part


def stdlib_texts() -> Iterator[tuple[str, str]]:
    for path in stdlib_files(include_tests=True):
        module = module_name(path)
        for record in _file_records(path, module):
            yield record["id"], record["text"]


def _man_text(path: Path) -> tuple[str, str]:
    if manpages.is_link(path):
        return str(path), ""
    rendered = manpages.render(path)
    parts = manpages.sections(rendered)
    return f"{path.parent.name}/{path.name[:-3]}", "\n\n".join(p for ps in parts.values() for p in ps)


def man_texts(workers: int = 2) -> Iterator[tuple[str, str]]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_man_text, manpages.page_files())


def doc_texts(root: Path = DOC_ROOT) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        if "\0" in text:
            continue
        yield str(path.relative_to(root)), text


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def collect(limit: int) -> list[dict]:
    """Up to `limit` unique paragraphs, interleaving the sources so each is represented."""
    seen: set[str] = set()
    by_source = {"stdlib": [], "manpages": [], "usr-share-doc": []}
    for source, texts in (("usr-share-doc", doc_texts()), ("manpages", man_texts()), ("stdlib", stdlib_texts())):
        started = time.perf_counter()
        for origin, text in texts:
            for number, part in enumerate(paragraphs(text)):
                key = _normalised(part)
                if key in seen:
                    continue
                seen.add(key)
                by_source[source].append({"id": f"{source}:{origin}#{number}", "text": part, "source": source})
        print(f"  {source}: {len(by_source[source]):,} paragraphs ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
    records = []
    for group in zip(*(iter(v) for v in by_source.values())):  # round robin, then the rest
        records.extend(group)
    shortest = min(len(v) for v in by_source.values())
    for values in by_source.values():
        records.extend(values[shortest:])
    return records[:limit]


STEP = 2_000  # paragraphs embedded per saved part


def _paragraphs(n: int) -> list[dict]:
    """The first `n` collected paragraphs, collected once and kept (collecting renders every
    manual page: minutes)."""
    path = CACHE / f"paragraphs-{n}.jsonl"
    if not path.exists():
        records = collect(n)
        if len(records) < n:
            raise SystemExit(f"only {len(records):,} unique paragraphs of {MIN_WORDS}-{MAX_WORDS} words found")
        with open(path.with_suffix(".tmp"), "w", encoding="utf-8") as sink:
            for record in records:
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(path.with_suffix(".tmp"), path)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def paths(n: int) -> tuple[Path, Path, Path]:
    return CACHE / f"real-{n}.jsonl", CACHE / f"real-{n}.npy", CACHE / f"real-{n}.meta.json"


def load(n: int) -> tuple[list[dict], np.ndarray, dict]:
    texts_path, vectors_path, meta_path = paths(n)
    records = [json.loads(line) for line in texts_path.read_text(encoding="utf-8").splitlines()]
    return records, np.load(vectors_path, mmap_mode="r"), json.loads(meta_path.read_text())


def build(n: int, model: str = "all-MiniLM-L6-v2") -> tuple[list[dict], np.ndarray, dict]:
    """The cached corpus of `n` real paragraphs and vectors (built and embedded on the first call)."""
    texts_path, vectors_path, meta_path = paths(n)
    larger = sorted(int(p.name.split("-")[1].split(".")[0]) for p in CACHE.glob("real-*.meta.json"))
    for cached in larger:
        if cached >= n:  # the first n of a larger cache (paragraphs are in a fixed order)
            records, vectors, meta = load(cached)
            return records[:n], vectors[:n], meta
    CACHE.mkdir(parents=True, exist_ok=True)
    records = _paragraphs(n)
    from indexing.vectors.embedder import load_embedder

    embedder = load_embedder(model)
    parts = CACHE / f"real-{n}.parts"  # one file per STEP paragraphs: a killed run resumes
    parts.mkdir(exist_ok=True)
    texts = [r["text"] for r in records]
    chunks, seconds = [], 0.0
    for begin in range(0, n, STEP):
        part = parts / f"{begin // STEP:04d}.npy"
        if not part.exists():
            started = time.perf_counter()
            np.save(part.with_suffix(".tmp.npy"), embedder.encode(texts[begin : begin + STEP]))
            (parts / f"{begin // STEP:04d}.s").write_text(f"{time.perf_counter() - started:.2f}")
            os.replace(part.with_suffix(".tmp.npy"), part)
            print(f"  embedded {min(n, begin + STEP):,}/{n:,} ({STEP / (time.perf_counter() - started):.0f} docs/s)",
                  file=sys.stderr, flush=True)
        chunks.append(np.load(part))
        seconds += float((parts / f"{begin // STEP:04d}.s").read_text())
    vectors = np.concatenate(chunks).astype(np.float32)
    with open(texts_path.with_suffix(".tmp"), "w", encoding="utf-8") as sink:
        for record in records:
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(texts_path.with_suffix(".tmp"), texts_path)
    np.save(vectors_path.with_suffix(".tmp.npy"), vectors)
    os.replace(vectors_path.with_suffix(".tmp.npy"), vectors_path)
    meta = {"documents": n, "by_source": dict(Counter(r["source"] for r in records)), "model": embedder.name,
            "dimension": embedder.dimension, "embed_seconds": round(seconds, 1),
            "docs_per_second": round(n / max(seconds, 1e-9), 1), "words": [MIN_WORDS, MAX_WORDS]}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return load(n)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=101_000)
    args = parser.parse_args()
    _, vectors, meta = build(args.docs)
    print(json.dumps(meta, indent=2))
