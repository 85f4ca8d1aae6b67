"""dlt source for files dropped in a folder: one resource per known file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest.exports import REJECTS_HINTS
from ingest.files.csv_files import CsvFile, currency_code, iso_date, positive_decimal, read_csv_file

log = logging.getLogger(__name__)

FX_RATES = CsvFile(
    name="fx_rates",
    file_name="fx_rates.csv",
    columns={
        "date": (iso_date, pa.date32()),
        "currency_code": (currency_code, pa.string()),
        "units_per_usd": (positive_decimal, pa.string()),
    },
    primary_key=("date", "currency_code"),
)

FILE_TYPES: tuple[CsvFile, ...] = (FX_RATES,)


@dlt.source(name="files", max_table_nesting=0)
def files_source(files_dir: Path | None) -> list[DltResource]:
    return [_file_resource(files_dir, spec) for spec in FILE_TYPES]


def _file_resource(files_dir: Path | None, spec: CsvFile) -> DltResource:
    def read() -> Iterator[Any]:
        path = Path(files_dir) / spec.file_name if files_dir else None
        if path is None or not path.is_file():
            # Optional source: an empty table keeps the models that read it running.
            where = f"{path} not found" if path else "SALES_TRACKER_FILES_DIR is not set"
            log.warning("files source: %s; %s stays empty", where, spec.name)
            yield spec.schema.empty_table()
            return
        batch = read_csv_file(path, spec)
        yield batch.rows
        if batch.rejects.num_rows:
            yield dlt.mark.with_hints(batch.rejects, REJECTS_HINTS)

    return dlt.resource(
        read, name=spec.name, primary_key=list(spec.primary_key), write_disposition="merge"
    )
