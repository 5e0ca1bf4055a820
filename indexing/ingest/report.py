"""What an ingest run is asked (IngestOptions) and what it tells (IndexReport, the rejection log).

Under on_error="fail" the first rejected record raises IngestError; otherwise every
rejection is counted in the report and written, one JSON line each, to `logs/`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indexing.errors import IngestError, SettingError
from indexing.ingest.records import Rejection

ON_ERROR = ("skip", "fail")


@dataclass
class IngestOptions:
    text_field: str = "text"
    id_field: str | None = None
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    on_error: str = "skip"
    # Longer texts are rejected, not truncated: a 10 MB "document" is almost always a
    # dump that a curator wants to see reported rather than silently embedded.
    max_chars: int = 1_000_000
    chunk_size: int = 1024
    # The most source fields that get a column of their own; the fields beyond go into the
    # JSON object of `extra_fields`, so one very wide record cannot make 100,000 columns.
    max_fields: int = 1000

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise SettingError(f"on_error must be one of {ON_ERROR}, not {self.on_error!r}")
        if self.max_fields < 1:
            raise SettingError(f"max_fields must be at least 1, not {self.max_fields}")
        if self.limit is not None and self.sample is not None:
            raise SettingError("use either limit or sample, not both")




@dataclass
class IndexReport:
    """What one `index` run did; the CLI prints it as the summary table."""

    rows_read: int = 0
    rows_stored: int = 0
    rejected: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    warnings: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    log: str | None = None

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def timed(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


class RejectionLog:
    """Every rejection, one JSON line each, in `logs/` of the workspace (append-only)."""

    def __init__(self, root: Path, report: IndexReport, on_error: str):
        self.root, self.report, self.on_error = root, report, on_error
        self._file = None

    def __call__(self, rejection: Rejection) -> None:
        self.report.rejected[rejection.reason] += 1
        if len(self.report.examples) < 20:
            self.report.examples.append(str(rejection))
        if self._file is None:
            logs = self.root / "logs"
            logs.mkdir(exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            path = logs / f"rejected-{stamp}.jsonl"
            self._file = path.open("a", encoding="utf-8")
            self.report.log = str(path)
        self._file.write(json.dumps(rejection.__dict__, ensure_ascii=False) + "\n")
        self._file.flush()
        if self.on_error == "fail":
            raise IngestError(str(rejection))

    def close(self) -> None:
        if self._file:
            self._file.close()
