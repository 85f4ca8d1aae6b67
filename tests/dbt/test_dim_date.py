"""The calendar: fiscal periods and business-day flags, worked by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from ingest.errors import SettingsError
from ingest.settings import DBT_PROJECT_DIR, Settings


def build_calendar(tmp_path: Path, fiscal_year_start_month: int) -> dict[date, tuple]:
    warehouse = tmp_path / "calendar.duckdb"
    variables = {
        "warehouse_path": str(warehouse),
        "fiscal_year_start_month": fiscal_year_start_month,
        "calendar_start_date": "2026-01-01",
        "calendar_end_date": "2027-12-31",
    }
    result = dbtRunner().invoke(
        [
            "build",
            "--select",
            "dim_date",
            "--vars",
            json.dumps(variables),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--quiet",
        ]
    )
    assert result.success, result.exception
    # dbt-duckdb keeps its connection open in this process: share its configuration.
    with duckdb.connect(str(warehouse)) as connection:
        rows = connection.execute(
            "select date_day, fiscal_year, fiscal_quarter, fiscal_month, iso_day_of_week, "
            "is_weekend, week_start_date, is_month_end from core.dim_date"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_a_fiscal_year_starting_in_april(tmp_path: Path) -> None:
    calendar = build_calendar(tmp_path, 4)
    assert len(calendar) == 365 + 365
    # 2026-03-31 (Tuesday) closes FY2026; 2026-04-01 opens FY2027, named after its end.
    assert calendar[date(2026, 3, 31)] == (2026, 4, 12, 2, False, date(2026, 3, 30), True)
    assert calendar[date(2026, 4, 1)] == (2027, 1, 1, 3, False, date(2026, 3, 30), False)
    # 2026-12-31 is in the fiscal year's third quarter; 2027-01-03 is a Sunday.
    assert calendar[date(2026, 12, 31)][:3] == (2027, 3, 9)
    assert calendar[date(2027, 1, 3)][3:6] == (7, True, date(2026, 12, 28))


def test_a_calendar_fiscal_year(tmp_path: Path) -> None:
    calendar = build_calendar(tmp_path, 1)
    assert calendar[date(2026, 12, 31)][:3] == (2026, 4, 12)
    assert calendar[date(2027, 1, 1)][:3] == (2027, 1, 1)
    assert calendar[date(2026, 2, 28)][-1] is True


def test_the_fiscal_start_month_is_checked() -> None:
    env = {"SALES_TRACKER_FISCAL_YEAR_START_MONTH": "4"}
    assert Settings.from_env(env=env).dbt_vars()["fiscal_year_start_month"] == "4"
    with pytest.raises(SettingsError, match="SALES_TRACKER_FISCAL_YEAR_START_MONTH"):
        Settings.from_env(env={"SALES_TRACKER_FISCAL_YEAR_START_MONTH": "13"})
