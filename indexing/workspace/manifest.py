"""`workspace.json`: what a workspace holds and which stages are complete.

The file is small and rewritten whole, always through a temporary file and an
atomic rename (`atomic.py`), so a kill at any moment leaves either the old or the new state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from indexing.errors import WorkspaceError
from indexing.workspace.atomic import atomic_write_text

SCHEMA_VERSION = 1
STATE_FILE = "workspace.json"
_REBUILD = "restore it from a backup, or index the sources again into a new workspace"




@dataclass
class SourceState:
    """One source that has been (or is being) ingested."""

    path: str
    kind: str
    id_prefix: str
    fingerprint: dict[str, Any]
    complete: bool = False
    records: int = 0
    stored: int = 0
    rejected: int = 0


@dataclass
class WorkspaceState:
    schema_version: int = SCHEMA_VERSION
    loupe_version: str = ""
    model: str = ""
    dimension: int = 0
    max_tokens: int = 0
    model_fingerprint: str = ""  # sha256 of the weights (Embedder.fingerprint): what a recipe records
    text_field: str = "text"
    id_field: str | None = None
    sources: dict[str, SourceState] = field(default_factory=dict)
    # stage name -> what it covered ({"rows": N, "seconds": s, "at": iso, ...})
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # source field name -> the docs column holding it (a name Lance or SQL cannot take,
    # or one Loupe owns, is stored under another); fixed when first seen, for every run
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path) -> "WorkspaceState":
        """The state in `root`/workspace.json; a damaged or foreign file is a WorkspaceError
        naming it (FileNotFoundError when there is none)."""
        path = Path(root) / STATE_FILE
        try:
            raw = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise
        except OSError as error:
            raise WorkspaceError(f"{path} cannot be read: {error.strerror or error}") from None
        except json.JSONDecodeError as error:
            raise WorkspaceError(f"{path} is damaged (line {error.lineno}, column {error.colno}: {error.msg}); "
                                 f"{_REBUILD}") from None
        except ValueError as error:  # not UTF-8
            raise WorkspaceError(f"{path} is damaged ({error}); {_REBUILD}") from None
        if not isinstance(raw, dict):
            raise WorkspaceError(f"{path} holds a JSON {type(raw).__name__}, not a workspace state; {_REBUILD}")
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            raise WorkspaceError(
                f"{path}: schema version {version} is not supported "
                f"(this Loupe reads version {SCHEMA_VERSION})"
            )
        try:
            sources, stages = raw.get("sources", {}), raw.get("stages", {})
            if not (isinstance(sources, dict) and isinstance(stages, dict)
                    and all(isinstance(v, dict) for v in [*sources.values(), *stages.values()])):
                raise TypeError("'sources' and 'stages' must map names to objects")
            raw["sources"] = {k: SourceState(**v) for k, v in sources.items()}
            return cls(**raw)
        except TypeError as error:  # a missing, unknown or mistyped key
            raise WorkspaceError(f"{path} is not a workspace state Loupe can read ({error}); {_REBUILD}") from None

    def save(self, root: Path) -> None:
        atomic_write_text(Path(root) / STATE_FILE, json.dumps(asdict(self), indent=2) + "\n")

    def stage_done(self, name: str, rows: int) -> bool:
        """A whole-table stage is done when it last ran over exactly the rows stored now."""
        stage = self.stages.get(name)
        return bool(stage) and stage.get("rows") == rows


def recorded_fields(root: Path) -> dict[str, str]:
    """The `fields` record of the workspace at `root` ({} when there is none to read), for the
    store's write guard, which must not depend on a loaded WorkspaceState."""
    try:
        fields = json.loads((Path(root) / STATE_FILE).read_text(encoding="utf-8")).get("fields")
    except (OSError, ValueError, AttributeError):
        return {}
    return fields if isinstance(fields, dict) else {}
