"""The files source: CSV and YAML that sales ops drop in a folder (FX rates, ...)."""

from ingest.files.source import FILE_TYPES, files_source

__all__ = ["FILE_TYPES", "files_source"]
