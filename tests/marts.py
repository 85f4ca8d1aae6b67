"""Read marts back for assertions, the same way on every target."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from ingest.settings import Settings
from orchestration.warehouse import query

REP_MONTHLY_COLUMNS = (
    "team_name",
    "bookings_amount",
    "deals_won",
    "deals_lost",
    "win_rate",
    "win_rate_by_amount",
    "avg_deal_size_amount",
    "median_deal_size_amount",
    "avg_sales_cycle_days",
    "median_sales_cycle_days",
)


def rep_performance_monthly(settings: Settings) -> dict[tuple[str, str], tuple[Any, ...]]:
    frame = query(settings, "select * from marts.mart_rep_performance_monthly")
    return {
        (row["rep_id"], str(row["month"])[:10]): tuple(
            None if pd.isna(row[column]) else row[column] for column in REP_MONTHLY_COLUMNS
        )
        for row in frame.to_dict("records")
    }


def assert_rows_match(actual: dict[Any, tuple], expected: dict[Any, tuple]) -> None:
    """Same keys; exact decimals and integers, floats to 1e-9, nulls where expected."""
    assert sorted(actual) == sorted(expected)
    for key, expected_row in expected.items():
        for column, got, want in zip(REP_MONTHLY_COLUMNS, actual[key], expected_row, strict=True):
            if isinstance(want, float):
                assert got == pytest.approx(want, abs=1e-9), (key, column)
            else:
                assert got == want, (key, column, got, want)
