"""Read a dropped CSV file against its declared columns, quarantining bad rows."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.exports import REJECTS_SCHEMA, ExportBatch, reject_row

Parser = Callable[[str], Any]


def iso_date(text: str) -> date:
    return date.fromisoformat(text)


def currency_code(text: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"not an ISO 4217 currency code: {text!r}")
    return text


def positive_decimal(text: str) -> str:
    """Kept as text: the warehouse casts it to an exact decimal, never through a float."""
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"not a number: {text!r}") from error
    if not number.is_finite() or number <= 0:
        raise ValueError(f"not a positive number: {text!r}")
    return text


@dataclass(frozen=True)
class CsvFile:
    name: str
    file_name: str
    columns: dict[str, tuple[Parser, pa.DataType]]
    primary_key: tuple[str, ...]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(name, dtype) for name, (_, dtype) in self.columns.items()])


def read_csv_file(path: Path, spec: CsvFile) -> ExportBatch:
    """All rows of one (small) dropped file; a header without a declared column fails."""
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in spec.columns if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; expected a header with "
                f"{', '.join(spec.columns)}"
            )
        for line_number, record in enumerate(reader, start=2):
            row, reason = _parse(record, spec)
            if reason is None:
                rows.append(row)
            else:
                payload = ",".join(str(value) for value in record.values())
                rejects.append(reject_row(spec.name, path, line_number, reason, payload))
    return ExportBatch(
        rows=pa.Table.from_pylist(rows, schema=spec.schema),
        rejects=pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA),
    )


def _parse(record: dict[str, Any], spec: CsvFile) -> tuple[dict[str, Any], str | None]:
    row = {}
    for name, (parse, _) in spec.columns.items():
        text = (record.get(name) or "").strip()
        if not text:
            return {}, f"{name}: missing"
        try:
            row[name] = parse(text)
        except ValueError as error:
            return {}, f"{name}: {error}"
    return row, None
