"""The files source: what sales ops drop in a folder (FX rates, quotas, the rep roster,
pulse survey responses, the commission plan)."""

from ingest.files.source import FILE_TABLES, files_source, unknown_files

__all__ = ["FILE_TABLES", "files_source", "unknown_files"]
