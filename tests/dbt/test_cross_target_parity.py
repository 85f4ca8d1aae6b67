"""The warehouse built from the same demo world is the same on DuckDB and PostgreSQL.

Every relation dbt builds (staging, intermediate, dimensions, facts, marts) is read back
from both targets, its values normalised (exact decimals, instants in UTC, doubles to
1e-9) and compared by row count and checksum; a difference names the relation and shows
rows found on one side only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from ingest.settings import Settings
from orchestration.warehouse import connect
from tests.conftest import DemoWarehouses

pytestmark = pytest.mark.postgres

DBT_SCHEMAS = ("staging", "intermediate", "core", "marts")


@dataclass(frozen=True)
class Relation:
    """One relation's normalised content."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update("\x1f".join(row).encode())
            digest.update(b"\x1e")
        return digest.hexdigest()


EMPTY_TRUTH_AT_XS = {"marts.mart_payment_followup": "payment_followup.csv"}


def test_every_dbt_relation_is_the_same_on_duckdb_and_postgres(
    demo_warehouses: DemoWarehouses,
) -> None:
    on_duckdb = dict(_relations(demo_warehouses.duckdb))
    on_postgres = dict(_relations(demo_warehouses.postgres))
    assert sorted(on_postgres) == sorted(on_duckdb)
    assert {"staging.stg_crm__deals", "core.fct_deals"} <= set(on_duckdb)

    differences = []
    for name, expected in sorted(on_duckdb.items()):
        actual = on_postgres[name]
        if actual.columns != expected.columns:
            differences.append(f"{name}: columns {expected.columns} vs {actual.columns}")
        elif actual.checksum != expected.checksum:
            only_duckdb = sorted(set(expected.rows) - set(actual.rows))[:3]
            only_postgres = sorted(set(actual.rows) - set(expected.rows))[:3]
            differences.append(
                f"{name}: {len(expected.rows)} rows on duckdb, {len(actual.rows)} on "
                f"postgres; only on duckdb {only_duckdb}; only on postgres {only_postgres}"
            )
    assert differences == []


def test_the_compared_relations_are_not_empty(demo_warehouses: DemoWarehouses) -> None:
    """A checksum of two empty relations proves nothing: the world fills every relation,
    but for a mart whose ground truth is empty at xs too (no invoice of the xs world is
    overdue on its last day; the s world's are compared with the truth elsewhere)."""
    expected = demo_warehouses.world.folder / "expected"
    empty = [name for name, relation in _relations(demo_warehouses.duckdb) if not relation.rows]
    for truth in EMPTY_TRUTH_AT_XS.values():
        assert (expected / truth).read_text().count("\n") == 1, f"{truth} has rows now"
    assert [name for name in empty if name not in EMPTY_TRUTH_AT_XS] == []


def _relations(settings: Settings) -> Iterator[tuple[str, Relation]]:
    with connect(settings) as connection:
        cursor = connection.cursor()
        placeholders = ", ".join(["%s"] * len(DBT_SCHEMAS))
        catalog_query = (
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({placeholders}) order by 1, 2"
        )
        if settings.target != "postgres":
            catalog_query = catalog_query.replace("%s", "?")
        cursor.execute(catalog_query, list(DBT_SCHEMAS))
        for schema, table in cursor.fetchall():
            cursor.execute(f'select * from "{schema}"."{table}"')
            columns = tuple(description[0] for description in cursor.description)
            rows = tuple(sorted(tuple(map(_normalised, row)) for row in cursor.fetchall()))
            yield f"{schema}.{table}", Relation(columns, rows)


def _normalised(value: Any) -> str:
    """One text form per value, whichever driver returned it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.9f}" if abs(value) < 1e12 else f"{value:.9e}"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def test_normalised_values_agree_across_driver_types() -> None:
    """Hand cases: the forms DuckDB and psycopg2 return for the same value meet."""
    jakarta = datetime(2026, 2, 1, 6, 30, tzinfo=UTC).astimezone()
    assert _normalised(Decimal("12.500000")) == _normalised(Decimal("12.5")) == "12.5"
    assert _normalised(Decimal("0E-6")) == _normalised(Decimal("0")) == "0"
    assert _normalised(Decimal("1E+2")) == "100"
    assert _normalised(jakarta) == "2026-02-01T06:30:00+00:00"
    assert _normalised(0.1 + 0.2) == _normalised(0.3)
    assert _normalised(True) == "true" and _normalised(1) == "1"
    assert _normalised(None) == "\\N" != _normalised("")
