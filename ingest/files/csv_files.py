"""Read a dropped CSV file against its declared columns, quarantining bad rows."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.errors import InvalidFileError
from ingest.exports import REJECTS_SCHEMA, ExportBatch, reject_row
from ingest.limits import DEFAULT_LIMITS, RecordLimits, cut

Parser = Callable[[str], Any]


def iso_date(text: str) -> date:
    return date.fromisoformat(text)


def currency_code(text: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"not an ISO 4217 currency code: {text!r}")
    return text


def year_month(text: str) -> date:
    """``2026-01`` (or a full ISO date) as the first day of that month."""
    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        raise ValueError(f"not a month (YYYY-MM): {text!r}")
    try:
        return date.fromisoformat(text[:7] + "-01")
    except ValueError as error:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from error


def email_address(text: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError(f"not an email address: {text!r}")
    return text.lower()


def text_value(text: str) -> str:
    return text


def score_0_to_10(text: str) -> int:
    if not re.fullmatch(r"\d{1,2}", text) or int(text) > 10:
        raise ValueError(f"not a score from 0 to 10: {text!r}")
    return int(text)


def _decimal(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"not a number: {text!r}") from error
    if not number.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return number


def positive_decimal(text: str) -> str:
    """Kept as text: the warehouse casts it to an exact decimal, never through a float."""
    if _decimal(text) <= 0:
        raise ValueError(f"not a positive number: {text!r}")
    return text


def non_negative_decimal(text: str) -> str:
    if _decimal(text) < 0:
        raise ValueError(f"a negative amount: {text!r}")
    return text


@dataclass(frozen=True)
class CsvFile:
    """A dropped CSV file's declared schema: each column's parser and Arrow type, the
    columns that may be blank, and the key a re-dropped file is merged on."""

    name: str
    file_name: str
    columns: dict[str, tuple[Parser, pa.DataType]]
    primary_key: tuple[str, ...]
    optional: frozenset[str] = frozenset()

    @property
    def schema(self) -> pa.Schema:
        # Key columns are not nullable, as dlt declares them: the schemas then agree.
        return pa.schema(
            [
                pa.field(name, dtype, nullable=name not in self.primary_key)
                for name, (_, dtype) in self.columns.items()
            ]
        )


def read_csv_file(path: Path, spec: CsvFile, limits: RecordLimits = DEFAULT_LIMITS) -> ExportBatch:
    """All rows of one (small) dropped file; a header without a declared column fails.
    A row over ``limits`` is a reject; a field beyond even the record limit fails the file
    (the csv module cannot skip it and read on)."""
    rows: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    # The csv module's own cap (128 KiB by default) would fail the whole file on a long
    # but legitimate field; the limits below decide instead. It is process-wide: raised only.
    csv.field_size_limit(max(csv.field_size_limit(), limits.record_bytes))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in spec.columns if name not in (reader.fieldnames or [])]
        if missing:
            raise InvalidFileError(
                f"{path}: missing column(s) {', '.join(missing)}: fix its header line, which "
                f"must name {', '.join(spec.columns)}"
            )
        first_lines: dict[tuple[Any, ...], int] = {}
        seen = Counter[str]()
        for line_number, record in _records(reader, path, limits):
            size = sum(len(value) for value in record.values() if isinstance(value, str))
            reason = limits.problem(record, size)
            row: dict[str, Any] = {}
            if reason is None:
                row, reason = _parse(record, spec)
            if reason is None:
                key = tuple(row[name] for name in spec.primary_key)
                first = first_lines.setdefault(key, line_number)
                if first != line_number:
                    reason = f"duplicate key ({', '.join(spec.primary_key)}) of line {first}"
            if reason is None:
                rows.append(row)
            else:
                payload = cut(",".join(str(value) for value in record.values()), reason)
                occurrence = seen[payload]
                seen[payload] += 1
                rejects.append(
                    reject_row(spec.name, path, line_number, reason, payload, occurrence)
                )
    return ExportBatch(
        rows=pa.Table.from_pylist(rows, schema=spec.schema),
        rejects=pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA),
    )


def _records(
    reader: csv.DictReader[str], path: Path, limits: RecordLimits
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows with their line numbers (the header is line 1; a row spanning lines is
    numbered by its first)."""
    line_number = reader.line_num + 1
    try:
        for record in reader:
            yield line_number, record
            line_number = reader.line_num + 1
    except csv.Error as error:
        fix = "fix the file"
        if "field limit" in str(error):
            fix = (
                f"a field is longer than SALES_TRACKER_MAX_RECORD_BYTES "
                f"({limits.record_bytes:,}); fix the file (an unclosed quote makes the rest "
                "of it one field)"
            )
        raise InvalidFileError(f"{path}, line {line_number}: {error}: {fix}") from error


def _parse(record: dict[str, Any], spec: CsvFile) -> tuple[dict[str, Any], str | None]:
    row: dict[str, Any] = {}
    for name, (parse, _) in spec.columns.items():
        text = (record.get(name) or "").strip()
        if not text:
            if name in spec.optional:
                row[name] = None
                continue
            return {}, f"{name}: missing"
        try:
            row[name] = parse(text)
        except ValueError as error:
            return {}, f"{name}: {error}"
    return row, None
