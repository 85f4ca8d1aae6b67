"""CRM resources read from a folder of the CRM's JSON Lines export (one file per type)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.crm.catalog import CrmType
from ingest.errors import CRM_EXPORT, ExportNotFoundError
from ingest.exports import as_rejects, read_export

log = logging.getLogger(__name__)


def read_export_file(crm: CrmType, export_dir: Path) -> Iterator[Any]:
    if not Path(export_dir).is_dir():
        raise ExportNotFoundError.no_folder("CRM export", export_dir, CRM_EXPORT)
    path = Path(export_dir) / crm.object_type.file_name
    if not path.is_file():
        if crm.required:
            raise ExportNotFoundError.no_file("CRM export", path, crm.name, CRM_EXPORT)
        # A portal that does not use, say, quotes has no such file: an empty table.
        log.warning("CRM export has no %s: loading no %s", path.name, crm.name)
        return
    for batch in read_export(path, crm.object_type):
        if batch.rows.num_rows:
            yield batch.rows
        if batch.rejects.num_rows:
            yield as_rejects(batch.rejects)
