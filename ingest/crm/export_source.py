"""CRM resources read from a folder of the CRM's JSON Lines export (one file per type).

The folder is a boundary (``ingest.folders``): a file leading out of it is a reject."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.common.libs.pyarrow import py_arrow_to_table_schema_columns

from ingest.crm.catalog import CRM_TYPES, CrmType
from ingest.errors import CRM_EXPORT, ExportNotFoundError
from ingest.exports import as_rejects, read_export
from ingest.folders import as_reject_table, outside_reject, unknown_names
from ingest.limits import RecordLimits

log = logging.getLogger(__name__)


def empty_table(crm: CrmType) -> Any:
    """An empty type still gets its table, which checks and staging read. The columns are
    hinted here only: on the resource they would reach `rejects` too."""
    columns = py_arrow_to_table_schema_columns(crm.object_type.schema)
    return dlt.mark.with_hints(
        dlt.mark.materialize_table_schema(), dlt.mark.make_hints(columns=columns)
    )


def read_export_file(crm: CrmType, export_dir: Path, limits: RecordLimits) -> Iterator[Any]:
    if not Path(export_dir).is_dir():
        raise ExportNotFoundError.no_folder("CRM export", export_dir, CRM_EXPORT)
    path = Path(export_dir) / crm.object_type.file_name
    refused = outside_reject(crm.name, Path(export_dir), path) if path.is_symlink() else None
    if refused is not None:
        yield as_rejects(as_reject_table([refused]))
        yield empty_table(crm)
        return
    if not path.is_file():
        if crm.required:
            raise ExportNotFoundError.no_file("CRM export", path, crm.name, CRM_EXPORT)
        # A portal that does not use, say, quotes has no such file: an empty table.
        log.warning("CRM export has no %s: loading no %s", path.name, crm.name)
        return
    for batch in read_export(path, crm.object_type, limits=limits):
        if batch.rows.num_rows:
            yield batch.rows
        if batch.rejects.num_rows:
            yield as_rejects(batch.rejects)


def unknown_export_files(export_dir: Path | None) -> list[str]:
    """The names in the export folder that no CRM object type reads."""
    return unknown_names(export_dir, (crm.object_type.file_name for crm in CRM_TYPES))
