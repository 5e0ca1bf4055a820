"""What `loupe info` and `Workspace.info()` report: a stable, JSON-ready summary of a workspace."""

from __future__ import annotations

from indexing.ingest.columns import seed_fields
from indexing.vectors.preview import preview_note
from indexing.workspace.stages import STAGES, stage_done

INFO_VERSION = 1


def workspace_info(workspace) -> dict:
    """A stable, JSON-ready summary (`loupe info --json`); see the README for the fields."""
    rows = workspace.store.count()
    schema = workspace.store.docs_schema()
    faiss_dir = workspace.root / "faiss"
    faiss_bytes = sum(p.stat().st_size for p in faiss_dir.rglob("*") if p.is_file()) if faiss_dir.exists() else 0
    lance_bytes = workspace.store.size_bytes()
    done = [s for s in STAGES if rows and stage_done(workspace, s, rows)]
    return {
        "info_version": INFO_VERSION,
        "path": str(workspace.root.resolve()),
        "loupe_version": workspace.state.loupe_version,
        "docs": rows,
        "columns": {f.name: str(f.type) for f in schema} if schema else {},
        "model": workspace.state.model,
        "dimension": workspace.state.dimension,
        "preview": workspace.is_preview,
        "preview_note": preview_note(workspace.state.model, workspace.root),
        "text_field": workspace.state.text_field,
        "id_field": workspace.state.id_field,
        "stages_done": done,
        "ready": len(done) == len(STAGES),
        "stages": workspace.state.stages,
        "sources": [
            {"path": s.path, "kind": s.kind, "records": s.records, "stored": s.stored,
             "rejected": s.rejected, "complete": s.complete}
            for s in workspace.state.sources.values()
        ],
        "clusters": workspace.store.clusters().num_rows,
        "topics": workspace.store.topics().num_rows,
        # rows whose x, y and cluster were placed from their neighbours, not fitted
        "placed": workspace.store.count("placed = true") if schema and "placed" in schema.names else 0,
        "labels": workspace.labels.counts(),
        "lance_version": workspace.store.version(),
        "bytes": {"lance": lance_bytes, "faiss": faiss_bytes, "total": lance_bytes + faiss_bytes},
        # source field -> docs column (a workspace from before the record: from its columns)
        "fields": dict(workspace.state.fields) or (seed_fields(schema.names) if schema else {}),
    }
