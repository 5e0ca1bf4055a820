"""A real labelled corpus that every machine of this project already has: its manual pages.

Source: the manual pages installed under /usr/share/man (sections 1 to 8, English), chiefly
the Linux man-pages project (Debian packages `manpages` and `manpages-dev`: system calls,
C library, file formats, overviews) and the pages of every other installed Debian package
(coreutils, util-linux, OpenSSL, Perl modules, ...). Their authors are those projects;
nobody on this project wrote them. The licences are the packages' own (see
/usr/share/doc/<package>/copyright; the man-pages project's pages are mostly under its
"Verbatim" licence, a few under GPL or BSD terms). The Google Cloud SDK's 17,000
machine-generated `gcloud_*` pages are left out: one generator's boilerplate would
dominate the corpus.

The label is the section the authors filed each page under (the `.N` of `name.N.gz`):

    1 user commands  2 system calls  3 library functions  4 special files
    5 file formats   6 games         7 overviews          8 administration commands

A document is a page's NAME line and the start of its DESCRIPTION, rendered by `man`
(groff) without hyphenation or justification, wrapped lines joined, cut at a sentence end
near `MAX_CHARS` (so the 256-token embedding sees all of it). The SYNOPSIS is left out on
purpose: its `#include` lines would give the section away. Pages that are `.so` links,
have no DESCRIPTION, or give fewer than `MIN_CHARS` characters are skipped, and of texts
that are equal after exact-dedup normalisation only the first (by path) is kept, so the
base corpus holds no exact duplicates of its own.

Records: {"id": "man3/printf.3", "text", "page", "section" ("3ssl", "1", ...),
"chapter" (its first digit)}. Cached as benchmarks/out/manpages-<key>.jsonl (key: the
sorted list of files, their sizes and this file's version), built in a minute or two.

    .venv/bin/python benchmarks/manpages.py            # build (or reuse) and describe
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
MAN_ROOT = Path("/usr/share/man")
SECTIONS = "12345678"
EXCLUDED_PREFIXES = ("gcloud_", "gcloud.")  # machine-generated pages of the Google Cloud SDK
MIN_CHARS = 200
MAX_CHARS = 1200
CORPUS_VERSION = 1

_HEADING = re.compile(r"^[A-Z][A-Z0-9 ,/()&'-]*$")
_NAME = re.compile(r"^(?P<page>.+)\.(?P<section>[1-8][A-Za-z]*)\.gz$")
_SENTENCE_END = re.compile(r"[.!?:](?=\s|$)")


def page_files(root: Path = MAN_ROOT) -> list[Path]:
    """The English pages of sections 1-8 (regular files, not links), sorted by path."""
    files = []
    for section in SECTIONS:
        folder = root / f"man{section}"
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.is_symlink() or not path.is_file() or path.name.startswith(EXCLUDED_PREFIXES):
                continue
            if _NAME.match(path.name):
                files.append(path)
    return sorted(files)


def is_link(path: Path) -> bool:
    """A page whose source is only `.so other/page.N` (an alias of another page)."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as source:
        for line in source:
            stripped = line.strip()
            if not stripped or stripped.startswith(('.\\"', "'\\\"")):
                continue
            return stripped.startswith(".so ")
    return True


def render(path: Path) -> str:
    """The page as plain text: `man` (groff) without hyphenation or justification."""
    env = dict(os.environ, MANWIDTH="120", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    result = subprocess.run(["man", "--nh", "--nj", "-l", str(path)], capture_output=True, env=env,
                            timeout=120)
    return result.stdout.decode("utf-8", errors="replace")


def sections(rendered: str) -> dict[str, list[str]]:
    """Heading -> paragraphs (wrapped lines joined), from a rendered page."""
    found: dict[str, list[str]] = {}
    heading, paragraph = None, []

    def close() -> None:
        if heading is not None and paragraph:
            found.setdefault(heading, []).append(" ".join(paragraph))
        paragraph.clear()

    for line in rendered.splitlines()[1:]:  # the first line is the running header
        if line and not line[0].isspace() and _HEADING.match(line.strip()):
            close()
            heading = line.strip()
            continue
        text = line.strip()
        if not text:
            close()
        else:
            paragraph.append(text)
    close()
    return found


def cut(text: str, limit: int = MAX_CHARS) -> str:
    """`text` up to the last sentence end before `limit` (or the limit, if there is none)."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    return text[: ends[-1]] if ends and ends[-1] > limit // 2 else text[:limit].rsplit(" ", 1)[0]


def document(rendered: str) -> str | None:
    """NAME and the start of DESCRIPTION, or None when the page has no usable DESCRIPTION."""
    parts = sections(rendered)
    description = parts.get("DESCRIPTION")
    if not description:
        return None
    name = " ".join(parts.get("NAME", []))
    text = "\n\n".join(([name] if name else []) + description)
    text = cut(text)
    return text if len(text) >= MIN_CHARS else None


def _normalised(text: str) -> str:  # as exact dedup compares texts (indexing.curate.dedup.normalise)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _record(path: Path) -> dict | None:
    if is_link(path):
        return None
    text = document(render(path))
    if text is None:
        return None
    match = _NAME.match(path.name)
    return {"id": f"{path.parent.name}/{path.name[:-3]}", "text": text, "page": match["page"],
            "section": match["section"], "chapter": match["section"][0]}


def _key(files: list[Path]) -> str:
    digest = hashlib.sha256(f"v{CORPUS_VERSION}".encode())
    for path in files:
        digest.update(f"{path}:{path.stat().st_size}\n".encode())
    return digest.hexdigest()[:12]


def build(workers: int = 2, root: Path = MAN_ROOT, out: Path = OUT) -> Path:
    """The corpus as JSONL (built once per set of installed pages); returns its path."""
    files = page_files(root)
    if not files:
        raise SystemExit(f"no manual pages under {root}: install Debian's `manpages` and `manpages-dev`")
    path = out / f"manpages-{_key(files)}.jsonl"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # each render is a `man` subprocess
        records = [r for r in pool.map(_record, files) if r is not None]
    seen: set[str] = set()
    unique = []
    for record in records:
        key = _normalised(record["text"])
        if key not in seen:
            seen.add(key)
            unique.append(record)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "w", encoding="utf-8") as sink:
        for record in unique:
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    meta = {"files": len(files), "records": len(unique), "dropped_exact_duplicates": len(records) - len(unique),
            "chapters": dict(sorted(Counter(r["chapter"] for r in unique).items()))}
    path.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


if __name__ == "__main__":
    corpus = build()
    rows = load(corpus)
    lengths = sorted(len(r["text"]) for r in rows)
    print(f"{corpus}: {len(rows):,} pages; by chapter {dict(sorted(Counter(r['chapter'] for r in rows).items()))}; "
          f"characters median {lengths[len(lengths) // 2]}, max {lengths[-1]}", file=sys.stderr)
