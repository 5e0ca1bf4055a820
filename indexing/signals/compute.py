"""Rule suites and language for a workspace that already exists (`loupe signals`).

`loupe index` computes every suite and the language for the rows it adds. This stage
computes them for every row of a workspace: one indexed before the suites existed, or
after a suite changed; and `domain` from a `url` column (`indexing.signals.domain`) for rows
stored before it existed. It reads the texts from LanceDB in batches, computes the chosen
suites (and the language), and writes all the columns with one `Store.replace_columns`
call at the end, so the table holds the old columns or the new ones, never half of them.
A kill between that call's drop and merge leaves the columns missing, and running the
command again writes them. Re-running computes the same values: it is idempotent.

Each suite's run is recorded in `workspace.json` as `stages["rules:<suite>"]` (and
`stages["language"]`): rows, seconds, time.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

import pyarrow as pa

from indexing.errors import NotIndexedError, SignalsError
from indexing.curate.thresholds import as_float
from indexing.signals.language import TYPES as LANGUAGE_TYPES
from indexing.signals.language import language_columns
from indexing.signals.domain import DOMAIN, URL_FIELD, domain_column
from indexing.workspace.manifest import recorded_fields
from indexing.workspace.lock import writer_lock
from indexing.progress import Quiet, Reporter
from indexing.signals.rules import PRESETS, suites_named
from indexing.signals.rules.hits import PresetHits, preset_hits
from indexing.workspace.stages import now, record_stages, stage_entry

BATCH_ROWS = 2048
LANGUAGE_STAGE = "language"


def stage_name(suite: str) -> str:
    return f"rules:{suite}"


@dataclass
class SignalsResult:
    """What one run computed, and what each chosen suite's preset would remove."""

    rows: int
    suites: list[str]
    language: bool
    columns: list[str]
    seconds: dict[str, float] = field(default_factory=dict)  # suite / "language" / "write" -> s
    presets: list[PresetHits] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)  # lang -> documents, most first

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "suites": self.suites, "language": self.language, "columns": self.columns,
            "seconds": self.seconds, "presets": [p.as_dict() for p in self.presets], "languages": self.languages,
        }


def compute_signals(
    workspace,
    suites: Iterable[str] | None = None,
    language: bool = True,
    progress: Reporter | None = None,
    batch_rows: int = BATCH_ROWS,
) -> SignalsResult:
    """Compute the rule suites named `suites` (None: all) and, if `language`, `lang` and
    `lang_score`, for every document of `workspace`; write them as columns of `docs`."""
    progress = progress or Quiet()
    chosen = suites_named(suites)
    if not chosen and not language:
        raise SignalsError("nothing to compute: name a suite or keep the language")
    store = workspace.store
    if not store.has("docs") or store.count() == 0:
        raise NotIndexedError(workspace.root)
    with writer_lock(workspace.root):
        dataset = store.table("docs").to_lance()  # one version for every read below
        n = dataset.count_rows()
        types = {name: t for suite in chosen for name, t in suite.types.items()}
        if language:
            types.update(LANGUAGE_TYPES)
        with_domain = URL_FIELD in dataset.schema.names and DOMAIN not in recorded_fields(workspace.root).values()
        if with_domain:  # rows stored before `domain` existed get it here
            types[DOMAIN] = pa.string()
        chunks: dict[str, list[pa.Array]] = {name: [] for name in ("id", *types)}
        seconds = dict.fromkeys([s.name for s in chosen] + ([LANGUAGE_STAGE] if language else []), 0.0)
        with progress.stage("signals", n) as advance:
            read = ["id", "text", *([URL_FIELD] if with_domain else [])]
            for batch in dataset.to_batches(columns=read, batch_size=batch_rows):
                text = batch.column("text")
                if text.null_count:
                    raise SignalsError(f"{text.null_count:,} documents have no text; they cannot be measured")
                texts = text.to_pylist()
                chunks["id"].append(batch.column("id"))
                for suite in chosen:
                    started = time.perf_counter()
                    for name, values in suite.compute(texts).items():
                        chunks[name].append(values)
                    seconds[suite.name] += time.perf_counter() - started
                if language:
                    started = time.perf_counter()
                    for name, values in language_columns(texts).items():
                        chunks[name].append(values)
                    seconds[LANGUAGE_STAGE] += time.perf_counter() - started
                if with_domain:
                    chunks[DOMAIN].append(domain_column(batch.column(URL_FIELD).to_pylist()))
                advance(len(texts))
        table = pa.table({
            "id": pa.chunked_array(chunks["id"], dataset.schema.field("id").type),
            **{name: pa.chunked_array(chunks[name], type_) for name, type_ in types.items()},
        })
        if table.num_rows != n:
            raise RuntimeError(f"read {table.num_rows:,} rows of {n:,}")
        with progress.stage("write", 1, unit="columns") as advance:
            started = time.perf_counter()
            store.replace_columns(table)
            seconds["write"] = time.perf_counter() - started
            advance(1)
        at = now()
        entries = {stage_name(s.name): stage_entry(n, seconds[s.name], at) for s in chosen}
        if language:
            entries[LANGUAGE_STAGE] = stage_entry(n, seconds[LANGUAGE_STAGE], at)
        record_stages(workspace, entries)
    values_of = {name: as_float(table.column(name)) for name in types if name not in ("lang", DOMAIN)}
    presets = [preset_hits(s.preset, PRESETS[s.preset], values_of) for s in chosen]
    languages: dict[str, int] = {}
    if language:
        counted = Counter(table.column("lang").to_pylist())
        languages = dict(sorted(counted.items(), key=lambda kc: (-kc[1], kc[0])))
    return SignalsResult(
        rows=n, suites=[s.name for s in chosen], language=language, columns=list(types),
        seconds={k: round(v, 3) for k, v in seconds.items()}, presets=presets, languages=languages,
    )
