"""`diff_runs(A, B)` on two runs of N documents: seconds, documents read per second, peak memory.

Two runs are written as Loupe writes them (`indexing.exports.formats.open_writer`, the
export's own writers): A keeps N documents with their complement under `removed/`; B is an
applied output that drops 10% of A's (a `reason` and `reason_value` each, under `removed/`)
and adds 5% that A had removed. Texts are real (the standard-library corpus of
`benchmarks/corpus.py`, cycled; ids are unique), so a JSONL line is as long as a real one.

Each diff runs in a fresh process, so its peak resident memory (VmHWM) is the diff's own
plus the interpreter and its imports (`baseline_rss_bytes`: the same process, imports done,
before the diff). The diff holds the ids and small columns of both runs' kept documents,
so memory grows with N by design; `bytes_per_document` says by how much.

    .venv/bin/python benchmarks/diff.py                      # 1,000,000 documents, parquet and jsonl
    .venv/bin/python benchmarks/diff.py --docs 100k --formats parquet
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from results import write_result  # noqa: E402  (benchmarks/results.py)

BATCH = 50_000


def _count(text: str) -> int:
    text = text.lower().replace("_", "")
    return int(float(text[:-1]) * 1_000_000) if text.endswith("m") else \
        int(float(text[:-1]) * 1_000) if text.endswith("k") else int(text)


def _texts(n: int = 20_000) -> list[str]:
    import corpus as bench_corpus  # benchmarks/corpus.py

    return [r["text"] for r in bench_corpus.build(n)[0]]


def _write(folder: Path, format: str, sides: dict[str, tuple[range, dict | None]], texts: list[str], n: int) -> None:
    """`sides`: "kept"/"removed" -> (the document numbers, extra columns by name -> function of the number)."""
    from indexing.exports.formats import open_writer

    folder.mkdir(parents=True)
    files = []
    for side, (numbers, extra) in sides.items():
        relative = "" if side == "kept" else "removed/"
        writer = None
        for start in range(0, len(numbers), BATCH):
            chunk = numbers[start:start + BATCH]
            columns = {
                "id": [f"doc-{i:08d}" for i in chunk],
                "text": [texts[i % len(texts)] for i in chunk],
                "tokens": [len(texts[i % len(texts)]) // 4 for i in chunk],
                "cluster": [i % 97 for i in chunk],
                "lang": ["en" if i % 10 else "de" for i in chunk],
            } | {name: [make(i) for i in chunk] for name, make in (extra or {}).items()}
            batch = pa.RecordBatch.from_pydict(columns)
            if writer is None:
                writer = open_writer(format, folder / relative, relative, batch.schema, 200_000,
                                     folder.parent / f"{folder.name}-{side}.arrow")
            writer.write(batch)
        files += writer.close()
    manifest = {"manifest_version": 1, "format": format, "files": files, "kind": "apply" if "b" in folder.name else None}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _runs(root: Path, format: str, n: int, texts: list[str]) -> tuple[Path, Path]:
    """A keeps 0..n-1 and removed n..n*1.1; B drops every tenth of A's and keeps half of A's removed."""
    extra_n = n // 10
    a, b = root / f"{format}-a", root / f"{format}-b"
    _write(a, format, {"kept": (range(n), None), "removed": (range(n, n + extra_n), None)}, texts, n)
    kept_b = [i for i in range(n) if i % 10] + list(range(n, n + extra_n // 2))
    removed_b = [i for i in range(n) if not i % 10] + list(range(n + extra_n // 2, n + extra_n))
    why = {"reason": lambda i: "tokens >= 50" if i % 20 else "dedup", "reason_value": lambda i: str(i % 50)}
    _write(b, format, {"kept": (kept_b, None), "removed": (removed_b, why)}, texts, n)
    return a, b


def _peak_rss() -> int:
    """This process's peak resident memory: VmHWM, which (unlike `ru_maxrss`) starts afresh at
    exec, so the parent's memory, inherited through fork, is not counted."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure(a: str, b: str) -> None:
    """In a fresh process: one diff, its seconds and the peak memory, as one JSON line."""
    from indexing import diff_runs

    baseline = _peak_rss()
    started = time.perf_counter()
    change = diff_runs(a, b)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_bytes": _peak_rss(),
                      "baseline_rss_bytes": baseline, "removed": change.removed.documents,
                      "added": change.added.documents, "reasons": len(change.removed.by_reason)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="1m", help="documents kept by run A (100k, 1m, ...)")
    parser.add_argument("--formats", default="parquet,jsonl", help="comma-separated: parquet, jsonl, hf")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure)
        return
    n = _count(args.docs)
    texts = _texts()
    root = Path(tempfile.mkdtemp(prefix="loupe-diff-bench-"))
    figures = {"docs": n, "formats": {}}
    try:
        for format in args.formats.split(","):
            started = time.perf_counter()
            a, b = _runs(root, format, n, texts)
            written = time.perf_counter() - started
            child = subprocess.run([sys.executable, __file__, "--measure", str(a), str(b)], capture_output=True,
                                   text=True, check=True, cwd=HERE.parent)
            result = json.loads(child.stdout.strip().splitlines()[-1])
            assert result["removed"] == n // 10 and result["added"] == n // 20, result
            rows_read = n + (n - n // 10 + n // 20) + n // 10 + n // 10 + n // 20  # both kept, both removed/
            result |= {"docs_per_second": rows_read / result["seconds"], "write_seconds": written,
                       "bytes_per_document": (result["peak_rss_bytes"] - result["baseline_rss_bytes"]) / n,
                       "bytes_on_disk": sum(p.stat().st_size for p in (a, b)[0].rglob("*") if p.is_file())}
            figures["formats"][format] = result
            print(f"{format:8} {n:,} docs: diff {result['seconds']:.1f} s ({result['docs_per_second']:,.0f} rows read/s), "
                  f"peak {result['peak_rss_bytes'] / 2**20:,.0f} MiB (imports {result['baseline_rss_bytes'] / 2**20:,.0f} "
                  f"MiB; {result['bytes_per_document']:,.0f} B per document)")
            shutil.rmtree(a), shutil.rmtree(b)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"written to {write_result('diff', figures, args.out)}")


if __name__ == "__main__":
    main()
