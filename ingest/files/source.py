"""dlt source for files dropped in a folder: one resource per known file.

Each file is read against its declared schema (below); bad rows land in ``rejects`` with
their reason and line, a missing file leaves its table empty with a warning (every file
is optional), and a re-dropped file is merged on its key, so loading twice changes nothing.
The folder is a boundary (``ingest.folders``): a file leading out of it is a reject, never
read, and names no resource reads are reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from ingest.exports import as_rejects
from ingest.files.commission_plan import PLANS_SCHEMA, TIERS_SCHEMA, read_commission_plans
from ingest.files.csv_files import (
    CsvFile,
    currency_code,
    email_address,
    iso_date,
    non_negative_decimal,
    positive_decimal,
    read_csv_file,
    score_0_to_10,
    text_value,
    year_month,
)
from ingest.folders import as_reject_table, outside_reject, unknown_names, warn_unknown
from ingest.limits import DEFAULT_LIMITS, RecordLimits

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
QUOTAS = CsvFile(
    name="quotas",
    file_name="quotas.csv",
    columns={
        "rep_email": (email_address, pa.string()),
        "month": (year_month, pa.date32()),
        "quota_amount": (non_negative_decimal, pa.string()),
        "currency_code": (currency_code, pa.string()),
    },
    primary_key=("rep_email", "month"),
)
# Team history, which HubSpot's owners API does not keep (only today's team).
REP_ROSTER = CsvFile(
    name="rep_roster",
    file_name="rep_roster.csv",
    columns={
        "rep_email": (email_address, pa.string()),
        "rep_id": (text_value, pa.string()),
        "team_name": (text_value, pa.string()),
        "valid_from": (iso_date, pa.date32()),
        "valid_to": (iso_date, pa.date32()),
    },
    primary_key=("rep_email", "valid_from"),
    optional=frozenset({"rep_id", "valid_to"}),
)
SURVEY_RESPONSES = CsvFile(
    name="survey_responses",
    file_name="survey_responses.csv",
    columns={
        "survey_id": (text_value, pa.string()),
        "survey_date": (iso_date, pa.date32()),
        "response_id": (text_value, pa.string()),
        "team_name": (text_value, pa.string()),
        "score": (score_0_to_10, pa.int64()),
    },
    primary_key=("survey_id", "response_id"),
)

CSV_FILES: tuple[CsvFile, ...] = (FX_RATES, QUOTAS, REP_ROSTER, SURVEY_RESPONSES)
COMMISSION_PLAN_FILE = "commission_plan.yaml"
KNOWN_FILES = frozenset({*(spec.file_name for spec in CSV_FILES), COMMISSION_PLAN_FILE})
FILE_TABLES: tuple[str, ...] = (
    *(spec.name for spec in CSV_FILES),
    "commission_plans",
    "commission_plan_tiers",
)


@dlt.source(name="files", max_table_nesting=0)
def files_source(
    files_dir: Path | None, limits: RecordLimits = DEFAULT_LIMITS
) -> list[DltResource]:
    plans = ("commission_plans", ["plan"], PLANS_SCHEMA, "plans")
    tiers = ("commission_plan_tiers", ["plan", "tier_number"], TIERS_SCHEMA, "tiers")
    return [
        *(_csv_resource(files_dir, spec, limits) for spec in CSV_FILES),
        _plan_resource(files_dir, *plans, limits),
        _plan_resource(files_dir, *tiers, limits),
    ]


def unknown_files(files_dir: Path | None) -> list[str]:
    """The names in the files folder that no resource reads (see ``ingest.folders``)."""
    return unknown_names(files_dir, KNOWN_FILES)


def _csv_resource(files_dir: Path | None, spec: CsvFile, limits: RecordLimits) -> DltResource:
    def read() -> Iterator[Any]:
        if spec is CSV_FILES[0]:  # once per load, from the resource read first
            warn_unknown("files source", files_dir, KNOWN_FILES)
        path, refused = _dropped(files_dir, spec.file_name, spec.name)
        if refused is not None:
            yield as_rejects(refused)
        if path is None:
            yield spec.schema.empty_table()
            return
        batch = read_csv_file(path, spec, limits)
        yield batch.rows
        if batch.rejects.num_rows:
            yield as_rejects(batch.rejects)

    return dlt.resource(
        read, name=spec.name, primary_key=list(spec.primary_key), write_disposition="merge"
    )


def _plan_resource(
    files_dir: Path | None,
    name: str,
    key: list[str],
    schema: pa.Schema,
    part: str,
    limits: RecordLimits,
) -> DltResource:
    """The plans and their tiers are two tables of one file; the plans resource alone
    reports the file's rejects, so a bad plan is quarantined once."""

    def read() -> Iterator[Any]:
        path, refused = _dropped(files_dir, COMMISSION_PLAN_FILE, name)
        if refused is not None and part == "plans":
            yield as_rejects(refused)
        if path is None:
            yield schema.empty_table()
            return
        batch = read_commission_plans(path, limits)
        table: pa.Table = getattr(batch, part)
        yield table
        if part == "plans" and batch.rejects.num_rows:
            yield as_rejects(batch.rejects)

    # Replace, not merge: the file is the whole plan set, and a plan or tier removed from
    # it must disappear from the tables.
    return dlt.resource(read, name=name, primary_key=key, write_disposition="replace")


def _dropped(
    files_dir: Path | None, file_name: str, table: str
) -> tuple[Path | None, pa.Table | None]:
    """The file to read, if there is one, and the reject of a file leading out of the
    folder, which is not read (its table stays empty, and the quarantine check fails)."""
    path = Path(files_dir) / file_name if files_dir else None
    if path is not None and (path.is_symlink() or path.exists()):
        refused = outside_reject(table, Path(files_dir or "."), path)
        if refused is not None:
            return None, as_reject_table([refused])
    if path is None or not path.is_file():
        where = f"{path} not found" if path else "SALES_TRACKER_FILES_DIR is not set"
        log.warning("files source: %s; %s stays empty", where, table)
        return None, None
    return path, None
