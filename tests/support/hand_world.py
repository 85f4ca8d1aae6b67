"""A hand-made CRM export small enough to work every KPI out by hand.

Company time zone Asia/Jakarta (UTC+7). Stage ids are numeric, as in custom HubSpot
pipelines. Deals (USD):

| deal | owner at close | outcome | created (UTC)    | closed (UTC)     | amount  |
|------|----------------|---------|------------------|------------------|---------|
| 1    | Ana            | won     | 2026-01-01 03:00 | 2026-01-11 03:00 | 1000.00 |
| 2    | Ana            | won     | 2026-01-05 00:00 | 2026-01-25 00:00 | 3000.50 |
| 3    | Ana            | lost    | 2026-01-02 00:00 | 2026-01-20 00:00 |  500.00 |
| 4    | Ben            | won     | 2025-12-20 12:00 | 2026-01-31 20:00 | 2000.00 |
| 5    | Ben            | won     | 2026-01-10 05:00 | 2026-01-15 05:00 | 4000.00 |
| 6    | Cy             | won     | 2026-01-03 02:00 | 2026-01-09 02:00 | 1234.56 |
| 7    | Cy             | open    | 2026-01-04 00:00 | (expected Mar)   | 9999.00 |
| 8    | Cy             | lost    | 2026-01-10 00:00 | 2026-01-12 10:00 |  700.00 |

- Deal 4 closes on Feb 1, 03:00 in Jakarta: a February deal; its cycle runs from
  Dec 20 to Feb 1 (company dates): 43 days.
- Deal 5 is reassigned to Cy on Mar 1, after its close: it stays Ben's.
- Deal 6 is archived and deal 7 still open: neither counts.

Expected ``mart_rep_performance_monthly`` rows, worked out from the table above:
- Ana, 2026-01: bookings 1000.00 + 3000.50 = 4000.50; won 2, lost 1; win rate 2/3;
  by amount 4000.50 / (4000.50 + 500) = 4000.50 / 4500.50; average and median deal
  size (1000.00 + 3000.50) / 2 = 2000.25; cycle mean and median (10 + 20) / 2 = 15.
- Ben, 2026-01: deal 5 only: bookings 4000.00, won 1, lost 0, win rates 1, size 4000, cycle 5.
- Ben, 2026-02: deal 4 only: bookings 2000.00, won 1, lost 0, win rates 1, size 2000, cycle 43.
- Cy, 2026-01: deal 8 lost: bookings 0, won 0, lost 1, win rates 0, no size, no cycle.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from demo.formats.files import write_jsonl
from demo.formats.hubspot import Stage, deal_object, owner_object, pipeline_object
from ingest.settings import Settings
from orchestration.warehouse import query

ANA, BEN, CY = "201", "202", "203"
QUALIFIED, PROPOSAL, WON, LOST = "1001", "1002", "1003", "1004"
PIPELINE = "77"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


EXPECTED_MART = {
    # (rep_id, month): (team, bookings, won, lost, win_rate, win_rate_by_amount,
    #                   avg_size, median_size, avg_cycle, median_cycle)
    (ANA, "2026-01-01"): (
        "Alpha",
        Decimal("4000.50"),
        2,
        1,
        2 / 3,
        4000.50 / 4500.50,
        Decimal("2000.25"),
        Decimal("2000.25"),
        15.0,
        15.0,
    ),
    (BEN, "2026-01-01"): (
        "Alpha",
        Decimal("4000.00"),
        1,
        0,
        1.0,
        1.0,
        Decimal("4000.00"),
        Decimal("4000.00"),
        5.0,
        5.0,
    ),
    (BEN, "2026-02-01"): (
        "Alpha",
        Decimal("2000.00"),
        1,
        0,
        1.0,
        1.0,
        Decimal("2000.00"),
        Decimal("2000.00"),
        43.0,
        43.0,
    ),
    (CY, "2026-01-01"): ("Beta", Decimal("0.00"), 0, 1, 0.0, 0.0, None, None, None, None),
}

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


MALFORMED_DEAL_LINES = [
    json.dumps({"properties": {"dealname": "no id", "amount": "10"}}),
    json.dumps({"id": "999", "properties": {"dealname": "bad amount", "amount": "abc"}}),
]


def write_hand_world(export_dir: Path, with_malformed: bool = False) -> Path:
    stages = [
        Stage(QUALIFIED, "Qualified", Decimal("0.3")),
        Stage(PROPOSAL, "Proposal", Decimal("0.6")),
        Stage(WON, "Won", Decimal("1.0"), is_closed=True),
        Stage(LOST, "Lost", Decimal("0.0"), is_closed=True),
    ]
    write_jsonl(
        export_dir / "deal_pipelines.jsonl",
        [
            pipeline_object(PIPELINE, "New Business", stages, at("2025-01-01T00:00")),
        ],
    )
    hired = at("2025-06-01T00:00")
    write_jsonl(
        export_dir / "owners.jsonl",
        [
            owner_object(ANA, "ana@example.com", "Ana", "Putri", [("1", "Alpha")], hired),
            owner_object(
                BEN, "ben@example.com", "Ben", "Tan", [("1", "Alpha"), ("2", "Beta")], hired
            ),
            owner_object(CY, "cy@example.com", "Cy", "Lim", [("2", "Beta")], hired),
        ],
    )

    def deal(number, owners, outcome, created, closed, amount, archived=False):
        created_at, closed_at = at(created), at(closed)
        history = [(QUALIFIED, created_at)]
        if outcome != "open":
            history.append((WON if outcome == "won" else LOST, closed_at))
        return deal_object(
            deal_id=str(number),
            name=f"Deal {number}",
            pipeline_id=PIPELINE,
            stage_history=history,
            owner_history=[(o, at(t)) for o, t in owners],
            amount=Decimal(amount),
            currency="USD",
            created_at=created_at,
            close_at=closed_at,
            archived=archived,
        )

    deals = [
        deal(
            1, [(ANA, "2026-01-01T03:00")], "won", "2026-01-01T03:00", "2026-01-11T03:00", "1000.00"
        ),
        deal(
            2, [(ANA, "2026-01-05T00:00")], "won", "2026-01-05T00:00", "2026-01-25T00:00", "3000.50"
        ),
        deal(
            3, [(ANA, "2026-01-02T00:00")], "lost", "2026-01-02T00:00", "2026-01-20T00:00", "500.00"
        ),
        deal(
            4, [(BEN, "2025-12-20T12:00")], "won", "2025-12-20T12:00", "2026-01-31T20:00", "2000.00"
        ),
        deal(
            5,
            [(BEN, "2026-01-10T05:00"), (CY, "2026-03-01T00:00")],
            "won",
            "2026-01-10T05:00",
            "2026-01-15T05:00",
            "4000.00",
        ),
        deal(
            6,
            [(CY, "2026-01-03T02:00")],
            "won",
            "2026-01-03T02:00",
            "2026-01-09T02:00",
            "1234.56",
            archived=True,
        ),
        deal(
            7, [(CY, "2026-01-04T00:00")], "open", "2026-01-04T00:00", "2026-03-15T00:00", "9999.00"
        ),
        deal(
            8, [(CY, "2026-01-10T00:00")], "lost", "2026-01-10T00:00", "2026-01-12T10:00", "700.00"
        ),
    ]
    path = export_dir / "deals.jsonl"
    write_jsonl(path, deals)
    if with_malformed:
        with path.open("a", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in MALFORMED_DEAL_LINES)
    return export_dir
