"""Ground truth of quota attainment, leaderboard, commissions, forecast and coverage.

A hand-built world whose every number is worked out in the comments, then a generated
world: parts merge to one pass, and expected/ is written.
"""

from __future__ import annotations

import csv
import io
import pickle
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from demo.truth.targets import (
    COMMISSION_COLUMNS,
    COVERAGE_COLUMNS,
    FORECAST_COLUMNS,
    LEADERBOARD_COLUMNS,
    QUARTERLY_COLUMNS,
    TargetsTruth,
)
from demo.world import generate_world, people_files, roster
from demo.world.accounts import Company, Deal, build_company
from demo.world.fx import FxRates
from demo.world.org import Org, Rep, Team, build_org
from demo.world.payments import CustomerPayments, Refund, company_payment_facts
from demo.world.scales import SCALES
from tests.support.hand_facts import (
    HandFx,
    at,
    hand_company,
    hand_customer,
    hand_deal,
    hand_invoice,
    paid,
    utc,
)

PLAN = people_files.COMMISSION_PLAN  # marginal 5% / 8% / 12% from 0 / 0.5 / 1.0, cap 50000
FLAT_PLAN = PLAN.replace("method: marginal", "method: flat")
CASH_PLAN = PLAN.replace("commissionable_base: bookings", "commissionable_base: collected_cash")
OUTPUTS = {
    "rep_attainment_quarterly": QUARTERLY_COLUMNS,
    "leaderboard_monthly": LEADERBOARD_COLUMNS,
    "commissions_monthly": COMMISSION_COLUMNS,
    "weighted_forecast": FORECAST_COLUMNS,
    "pipeline_coverage_monthly": COVERAGE_COLUMNS,
}
HAND_ORG = Org(
    teams=[Team("T1", "Alpha")],
    reps=[
        Rep(rep_id, "Rep", rep_id, f"{rep_id.lower()}@x.example", date(2024, 1, 1), None, [])
        for rep_id in ("R1", "R2", "R3")
    ],
)
# Monthly quotas (USD): R1 10,000 Jan-Apr 2026; R2 100,000 Jan, 20,000 Feb, 50,000 Mar;
# R3 10,000 Feb only.
QUOTAS = [
    *(("R1", date(2026, month, 1), Decimal(10_000)) for month in (1, 2, 3, 4)),
    ("R2", date(2026, 1, 1), Decimal(100_000)),
    ("R2", date(2026, 2, 1), Decimal(20_000)),
    ("R2", date(2026, 3, 1), Decimal(50_000)),
    ("R3", date(2026, 2, 1), Decimal(10_000)),
]


def open_deal(
    deal_id: str,
    amount: str,
    currency: str,
    stages: list[tuple[str, str]],
    close_dates: list[tuple[str, str]],
    owners: list[tuple[str, str]],
) -> Deal:
    created = utc(stages[0][1])
    return Deal(
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        pipeline_id="default",
        deal_type="newbusiness",
        currency=currency,
        created_at=created,
        primary_contact_id=None,
        stages=[(stage, utc(when)) for stage, when in stages],
        amounts=[(Decimal(amount), created)],
        close_dates=[(utc(value), utc(when)) for value, when in close_dates],
        owners=[(owner, utc(when)) for owner, when in owners],
        forecast=[("PIPELINE", created)],
    )


def hand_world() -> list[tuple[Company, CustomerPayments | None]]:
    """Jakarta is UTC+7; every time below is UTC, 03:00 is 10:00 the same day in Jakarta.
    A month's first instant is the previous day 17:00 UTC (Jan 1 = 2025-12-31 17:00).

    Won deals (``hand_deal``: created 20 days before the close, in Appointment Scheduled,
    probability 0.2, close date set to the close at creation; all USD):
    | deal | owner | amount     | closed     | created    |
    |------|-------|------------|------------|------------|
    | A1   | R1    | 13,000.00  | 2026-01-10 | 2025-12-21 |
    | A2   | R1    | 10,000.00  | 2026-02-10 | 2026-01-21 |
    | A3   | R1    | 10,000.00  | 2026-03-10 | 2026-02-18 |
    | A4   | R1    |  5,000.00  | 2026-04-10 | 2026-03-21 |
    | T1   | R1    |  5,000.00  | 2026-01-05 | (a test deal: counts nowhere)
    | B1   | R2    | 600,000.00 | 2026-01-15 | 2025-12-26 |
    | B2   | R2    | 20,000.00  | 2026-02-15 | 2026-01-26 |
    | C0   | R3    |  2,000.00  | 2026-01-20 | 2025-12-31 03:00 (before Jan 1 in Jakarta) |
    | C1   | R3    | 10,000.00  | 2026-02-20 | 2026-01-31 03:00 (before Feb 1 in Jakarta) |

    Open deals (never closed):
    - O1: 10,000.00 USD, created 2025-12-10 in Appointment Scheduled, Qualified To Buy
      (0.4) from 2025-12-20; close date 2026-01-20, *pushed to 2026-02-20 on 2026-01-05*;
      owner R2, R1 from 2026-01-20.
    - O2: 1,500,000 JPY, created 2025-12-15 in Decision Maker Bought-In (0.8), close
      date 2026-03-10; owner R3. JPY is 150 per USD (10,000.00 USD) until 2026-02-01
      and 160 (9,375.00 USD) from 2026-02-02.

    Stripe (USD): A1 invoiced 13,000.00, paid 2026-01-20, 1,300.00 refunded 2026-02-09
    (30 days after the close: inside the 90-day window). A2 invoiced 10,000.10: 4,000.10
    paid 2026-02-25, a declined attempt of 6,000.00 on 2026-03-01, 6,000.00 paid
    2026-03-05. B1 invoiced 600,000.00, paid 2026-01-31 18:00 (Feb 1 in Jakarta);
    refunds 6,000.00 on 2026-04-15 (90 days after the close: inside) and 4,000.00 on
    2026-04-16 (91 days: outside). A service invoice without deal, 500.00 paid
    2026-01-25, earns nothing.
    """
    r1 = [("R1", "2025-01-01 00:00")]
    a1 = hand_deal("A1", "13000.00", "USD", "2026-01-10 03:00", r1)
    a2 = hand_deal("A2", "10000.00", "USD", "2026-02-10 03:00", r1)
    a3 = hand_deal("A3", "10000.00", "USD", "2026-03-10 03:00", r1)
    a4 = hand_deal("A4", "5000.00", "USD", "2026-04-10 03:00", r1)
    t1 = hand_deal("T1", "5000.00", "USD", "2026-01-05 03:00", r1)
    t1.is_test = True
    o1 = open_deal(
        "O1",
        "10000.00",
        "USD",
        [("appointmentscheduled", "2025-12-10 03:00"), ("qualifiedtobuy", "2025-12-20 03:00")],
        [("2026-01-20 03:00", "2025-12-10 03:00"), ("2026-02-20 03:00", "2026-01-05 03:00")],
        [("R2", "2025-12-10 03:00"), ("R1", "2026-01-20 03:00")],
    )
    r2 = [("R2", "2025-01-01 00:00")]
    b1 = hand_deal("B1", "600000.00", "USD", "2026-01-15 03:00", r2)
    b2 = hand_deal("B2", "20000.00", "USD", "2026-02-15 03:00", r2)
    r3 = [("R3", "2025-01-01 00:00")]
    c0 = hand_deal("C0", "2000.00", "USD", "2026-01-20 03:00", r3)
    c1 = hand_deal("C1", "10000.00", "USD", "2026-02-20 03:00", r3)
    o2 = open_deal(
        "O2",
        "1500000",
        "JPY",
        [("decisionmakerboughtin", "2025-12-15 03:00")],
        [("2026-03-10 03:00", "2025-12-15 03:00")],
        [("R3", "2025-12-15 03:00")],
    )
    ia1 = paid(
        hand_invoice("IA1", "USD", 1_300_000, "2026-01-11 03:00", "A1"),
        1_300_000,
        "2026-01-20 03:00",
        refunds=[Refund("re_a1", "txn_a1", at("2026-02-09 03:00"), 130_000, "requested")],
    )
    ia2 = hand_invoice("IA2", "USD", 1_000_010, "2026-02-11 03:00", "A2")
    paid(ia2, 400_010, "2026-02-25 03:00")
    paid(ia2, 600_000, "2026-03-01 03:00", failure="card_declined")
    paid(ia2, 600_000, "2026-03-05 03:00")
    service = paid(
        hand_invoice("IS", "USD", 50_000, "2026-01-24 03:00", None), 50_000, "2026-01-25 03:00"
    )
    ib1 = paid(
        hand_invoice("IB1", "USD", 60_000_000, "2026-01-16 03:00", "B1"),
        60_000_000,
        "2026-01-31 18:00",
        refunds=[
            Refund("re_b1", "txn_b1", at("2026-04-15 03:00"), 600_000, "requested"),
            Refund("re_b2", "txn_b2", at("2026-04-16 03:00"), 400_000, "requested"),
        ],
    )
    a = hand_company("1", "USD", [a1, a2, a3, a4, t1, o1])
    b = hand_company("2", "USD", [b1, b2])
    c = hand_company("3", "USD", [c0, c1, o2])
    return [(a, hand_customer(a, [ia1, ia2, service])), (b, hand_customer(b, [ib1])), (c, None)]


def hand_rows(plan: str = PLAN, **kwargs) -> dict[str, list[dict[str, str]]]:
    """The five files of a truth over the hand world, read back as CSV text."""
    truth = TargetsTruth(HAND_ORG, HandFx(), plan, **kwargs)
    for company, facts in hand_world():
        truth.add_company(company, facts)
    for rep_id, month, amount in QUOTAS:
        truth.add_quota(rep_id, month, amount)
    rows = {
        "rep_attainment_quarterly": truth.quarterly_rows(),
        "leaderboard_monthly": truth.leaderboard_rows(),
        "commissions_monthly": truth.commission_rows(),
        "weighted_forecast": truth.forecast_rows(),
        "pipeline_coverage_monthly": truth.coverage_rows(),
    }
    return {
        name: [{k: str(v) for k, v in row.items()} for row in got] for name, got in rows.items()
    }


def table(rows: list[dict[str, str]], key: int = 2) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {tuple(row.values())[:key]: tuple(row.values())[key:] for row in rows}


def test_quarterly_attainment_by_hand() -> None:
    assert table(hand_rows()["rep_attainment_quarterly"]) == {
        # Q1: A1 13,000 + A2 10,000 + A3 10,000 (T1 is a test deal); quota 3 x 10,000.
        ("R1", "2026-01-01"): ("33000.00", "30000", "1.1"),
        # Q2: A4 5,000 against April's 10,000.
        ("R1", "2026-04-01"): ("5000.00", "10000", "0.5"),
        # B1 600,000 + B2 20,000 against 100,000 + 20,000 + 50,000.
        ("R2", "2026-01-01"): ("620000.00", "170000", repr(620000 / 170000)),
        # C0 2,000 (January, no quota) + C1 10,000 against February's 10,000.
        ("R3", "2026-01-01"): ("12000.00", "10000", "1.2"),
    }


def test_leaderboard_ties_and_streaks_by_hand() -> None:
    rows = hand_rows()["leaderboard_monthly"]
    assert [tuple(row.values()) for row in rows] == [
        # January: R2 600,000 / 100,000 = 6.0, R1 13,000 / 10,000 = 1.3; R3 has no quota.
        ("2026-01-01", "R2", "1", "6.0", "600000.00", "1"),
        ("2026-01-01", "R1", "2", "1.3", "13000.00", "1"),
        # February: all three at exactly 1.0. R2 first on bookings (20,000); R1 and R3
        # tie on 10,000 too, so rep_id orders them. R3 had no quota in January: streak 1.
        ("2026-02-01", "R2", "1", "1.0", "20000.00", "2"),
        ("2026-02-01", "R1", "2", "1.0", "10000.00", "2"),
        ("2026-02-01", "R3", "3", "1.0", "10000.00", "1"),
        # March: R1 10,000 / 10,000, a third month in a row; R2 nothing against 50,000.
        ("2026-03-01", "R1", "1", "1.0", "10000.00", "3"),
        ("2026-03-01", "R2", "2", "0.0", "0.00", "0"),
        # April: R1 5,000 / 10,000 breaks the streak.
        ("2026-04-01", "R1", "1", "0.5", "5000.00", "0"),
    ]


def test_marginal_commissions_cap_and_clawbacks_by_hand() -> None:
    # columns: commissionable, quota, attainment, earned, capped, clawback, net
    assert table(hand_rows()["commissions_monthly"]) == {
        # 13,000 on a 10,000 quota crosses both thresholds: 5,000 x 5% + 5,000 x 8% +
        # 3,000 x 12% = 250 + 400 + 360.
        ("R1", "2026-01-01"): ("13000.00", "10000", "1.3", "1010.00", "false", "0.00", "1010.00"),
        # 10,000 exactly: 250 + 400, nothing at 12%. The February refund of 1,300 on A1
        # (30 days after its close) claws back 1,300 x January's rate 1,010 / 13,000 = 101.
        ("R1", "2026-02-01"): ("10000.00", "10000", "1.0", "650.00", "false", "101.00", "549.00"),
        ("R1", "2026-03-01"): ("10000.00", "10000", "1.0", "650.00", "false", "0.00", "650.00"),
        ("R1", "2026-04-01"): ("5000.00", "10000", "0.5", "250.00", "false", "0.00", "250.00"),
        # 50,000 x 5% + 50,000 x 8% + 500,000 x 12% = 2,500 + 4,000 + 60,000 = 66,500,
        # capped at 50,000.
        ("R2", "2026-01-01"): (
            *("600000.00", "100000", "6.0", "50000.00", "true", "0.00", "50000.00"),
        ),
        # 10,000 x 5% + 10,000 x 8% = 500 + 800.
        ("R2", "2026-02-01"): ("20000.00", "20000", "1.0", "1300.00", "false", "0.00", "1300.00"),
        ("R2", "2026-03-01"): ("0.00", "50000", "0.0", "0.00", "false", "0.00", "0.00"),
        # Only a clawback: B1's 6,000 refund 90 days after the close (inside the window)
        # x January's effective rate 50,000 / 600,000 = 500; the 4,000 refund the next
        # day is outside it. No quota in April: empty quota and attainment.
        ("R2", "2026-04-01"): ("0.00", "", "", "0.00", "false", "500.00", "-500.00"),
        # No quota, no commission: the base is shown, nothing earned.
        ("R3", "2026-01-01"): ("2000.00", "", "", "0.00", "false", "0.00", "0.00"),
        ("R3", "2026-02-01"): ("10000.00", "10000", "1.0", "650.00", "false", "0.00", "650.00"),
    }


def test_flat_commissions_by_hand() -> None:
    got = table(hand_rows(FLAT_PLAN)["commissions_monthly"])
    earned = {key: (values[3], values[5], values[6]) for key, values in got.items()}
    assert earned == {
        # 1.3 is in the 12% tier: 13,000 x 12% on the whole base.
        ("R1", "2026-01-01"): ("1560.00", "0.00", "1560.00"),
        # 1.0 is the 12% tier's inclusive start: 1,200; clawback 1,300 x 1,560 / 13,000.
        ("R1", "2026-02-01"): ("1200.00", "156.00", "1044.00"),
        ("R1", "2026-03-01"): ("1200.00", "0.00", "1200.00"),
        # 0.5 is the 8% tier's start: 5,000 x 8%.
        ("R1", "2026-04-01"): ("400.00", "0.00", "400.00"),
        # 600,000 x 12% = 72,000, capped.
        ("R2", "2026-01-01"): ("50000.00", "0.00", "50000.00"),
        ("R2", "2026-02-01"): ("2400.00", "0.00", "2400.00"),
        ("R2", "2026-03-01"): ("0.00", "0.00", "0.00"),
        ("R2", "2026-04-01"): ("0.00", "500.00", "-500.00"),
        ("R3", "2026-01-01"): ("0.00", "0.00", "0.00"),
        ("R3", "2026-02-01"): ("1200.00", "0.00", "1200.00"),
    }


def test_collected_cash_commissions_by_hand() -> None:
    # columns: commissionable, quota, attainment, earned, capped, clawback, net
    assert table(hand_rows(CASH_PLAN)["commissions_monthly"]) == {
        # A1's 13,000 collected on Jan 20: as on bookings, 1,010.
        ("R1", "2026-01-01"): ("13000.00", "10000", "1.3", "1010.00", "false", "0.00", "1010.00"),
        # 4,000.10 collected (A2's first part): 4,000.10 x 5% = 200.005, half up 200.01;
        # A1's refund claws back at the rate of January, when its charge was commissioned.
        ("R1", "2026-02-01"): (
            *("4000.10", "10000", "0.40001", "200.01", "false", "101.00", "99.01"),
        ),
        # 6,000 (the declined attempt counts nowhere): 5,000 x 5% + 1,000 x 8% = 330.
        ("R1", "2026-03-01"): ("6000.00", "10000", "0.6", "330.00", "false", "0.00", "330.00"),
        ("R1", "2026-04-01"): ("0.00", "10000", "0.0", "0.00", "false", "0.00", "0.00"),
        ("R2", "2026-01-01"): ("0.00", "100000", "0.0", "0.00", "false", "0.00", "0.00"),
        # B1's 600,000 arrive on Feb 1 in Jakarta: 10,000 x 5% + 10,000 x 8% + 580,000 x
        # 12% = 70,900, capped; refunds are clawed back, not netted from the base.
        ("R2", "2026-02-01"): (
            *("600000.00", "20000", "30.0", "50000.00", "true", "0.00", "50000.00"),
        ),
        ("R2", "2026-03-01"): ("0.00", "50000", "0.0", "0.00", "false", "0.00", "0.00"),
        # 6,000 x February's rate 50,000 / 600,000.
        ("R2", "2026-04-01"): ("0.00", "", "", "0.00", "false", "500.00", "-500.00"),
        # R3 collected nothing (no invoices): only February's quota gives a row.
        ("R3", "2026-02-01"): ("0.00", "10000", "0.0", "0.00", "false", "0.00", "0.00"),
    }


def test_weighted_forecast_by_hand() -> None:
    rows = hand_rows()["weighted_forecast"]
    # A row for each world month (2024-11 to 2026-10) and the two months after it.
    assert len(rows) == 24 * 3
    got = table(rows)
    zero = ("0.00", "0.00", "0.00")
    # As of 2025-12-01 (2025-11-30 17:00 UTC) no deal of the hand world exists yet.
    for month in ("2025-12-01", "2026-01-01", "2026-02-01"):
        assert got[("2025-12-01", month)] == zero
    # As of 2026-01-01: A1 13,000 x 0.2 + B1 600,000 x 0.2 + C0 2,000 x 0.2 (created
    # Dec 31 10:00 in Jakarta) + O1 10,000 x 0.4, whose close date was still Jan 20
    # (pushed to Feb 20 only on Jan 5) = 2,600 + 120,000 + 400 + 4,000.
    assert got[("2026-01-01", "2026-01-01")] == ("127000.00", "0.00", "127000.00")
    assert got[("2026-01-01", "2026-02-01")] == zero
    # O2 closes in March: 1,500,000 JPY at Jan 1's rate (150) = 10,000 x 0.8.
    assert got[("2026-01-01", "2026-03-01")] == ("8000.00", "0.00", "8000.00")
    # As of 2026-02-01: A2, B2, C1 at 0.2 and O1 (now closing Feb 20) at 0.4:
    # 2,000 + 4,000 + 2,000 + 4,000. O2 at Feb 1's rate (the latest earlier: 150).
    assert got[("2026-02-01", "2026-02-01")] == ("12000.00", "0.00", "12000.00")
    assert got[("2026-02-01", "2026-03-01")] == ("8000.00", "0.00", "8000.00")
    assert got[("2026-02-01", "2026-04-01")] == zero
    # As of 2026-03-01: A3 2,000 + O2 at 160 per USD, 9,375 x 0.8 = 7,500; O1's close
    # date (Feb 20) is past: it counts in no month. A4 is created only on Mar 21.
    assert got[("2026-03-01", "2026-03-01")] == ("9500.00", "0.00", "9500.00")
    assert got[("2026-03-01", "2026-04-01")] == zero
    assert got[("2026-04-01", "2026-04-01")] == ("1000.00", "0.00", "1000.00")
    # Nothing else anywhere.
    nonzero = {key for key, values in got.items() if values != zero}
    assert nonzero == {
        ("2026-01-01", "2026-01-01"),
        ("2026-01-01", "2026-03-01"),
        ("2026-02-01", "2026-02-01"),
        ("2026-02-01", "2026-03-01"),
        ("2026-03-01", "2026-03-01"),
        ("2026-04-01", "2026-04-01"),
    }


def test_weighted_forecast_as_of_mid_month_by_hand() -> None:
    """As of 2026-01-16 (2026-01-15 17:00 UTC)."""
    got = table(hand_rows(forecast_as_of=[date(2026, 1, 16)])["weighted_forecast"])
    assert got == {
        # Closed before the instant: A1 13,000 and B1 600,000 (T1 is a test deal). Still
        # open: C0 (closes Jan 20) 2,000 x 0.2.
        ("2026-01-16", "2026-01-01"): ("400.00", "613000.00", "613400.00"),
        # O1's close date as of the instant is Feb 20 (pushed on Jan 5): 10,000 x 0.4.
        ("2026-01-16", "2026-02-01"): ("4000.00", "0.00", "4000.00"),
        ("2026-01-16", "2026-03-01"): ("8000.00", "0.00", "8000.00"),
    }


def test_pipeline_coverage_by_hand() -> None:
    # columns: open pipeline, quota, bookings so far, coverage
    assert table(hand_rows()["pipeline_coverage_monthly"]) == {
        # As of Jan 1: A1 open, closing Jan 10.
        ("R1", "2026-01-01"): ("13000.00", "10000", "0.00", "1.3"),
        # As of Feb 1: A2 and O1 (owner R1 since Jan 20, closing Feb 20) = 20,000.
        ("R1", "2026-02-01"): ("20000.00", "10000", "0.00", "2.0"),
        ("R1", "2026-03-01"): ("10000.00", "10000", "0.00", "1.0"),
        ("R1", "2026-04-01"): ("5000.00", "10000", "0.00", "0.5"),
        # As of Jan 1: B1 600,000 and O1 (owned by R2 then, closing Jan 20 then).
        ("R2", "2026-01-01"): ("610000.00", "100000", "0.00", "6.1"),
        ("R2", "2026-02-01"): ("20000.00", "20000", "0.00", "1.0"),
        ("R2", "2026-03-01"): ("0.00", "50000", "0.00", "0.0"),
        # No quota: open pipeline shown, coverage empty (C0; then O2 at 160 per USD).
        ("R3", "2026-01-01"): ("2000.00", "", "0.00", ""),
        ("R3", "2026-02-01"): ("10000.00", "10000", "0.00", "1.0"),
        ("R3", "2026-03-01"): ("9375.00", "", "0.00", ""),
    }


def test_the_plan_must_be_in_the_reporting_currency() -> None:
    with pytest.raises(ValueError, match="EUR"):
        TargetsTruth(HAND_ORG, HandFx(), PLAN.replace("currency: USD", "currency: EUR"))
    with pytest.raises(ValueError, match="method"):
        TargetsTruth(HAND_ORG, HandFx(), PLAN.replace("method: marginal", "method: stepped"))


# --- a generated world ------------------------------------------------------------------


def test_parts_merge_to_one_pass_and_expected_is_written(tmp_path: Path) -> None:
    world = generate_world(tmp_path / "xs", "xs", 7)
    org = build_org(random.Random("7:org"), SCALES["xs"])
    fx = FxRates(random.Random("7:fx"))
    whole = TargetsTruth(org, fx, PLAN)
    parts = [TargetsTruth(org, fx, PLAN) for _ in range(3)]
    count = SCALES["xs"].companies
    for index in range(count):
        company = build_company(7, index, org, fx)
        facts = company_payment_facts(7, index, company, fx)
        whole.add_company(company, facts)
        parts[index * 3 // count].add_company(company, facts)
    merged = TargetsTruth(org, fx, PLAN)
    for part in reversed(parts):  # the order parts arrive in must not matter
        merged.merge(pickle.loads(pickle.dumps(part.part())))
    for rep_id, row, amount in roster.quota_rows(random.Random("7:quotas"), org):
        for truth in (whole, merged):
            truth.add_quota(rep_id, date.fromisoformat(f"{row['month']}-01"), amount)
    whole.write(tmp_path / "whole")
    merged.write(tmp_path / "merged")
    for name, columns in OUTPUTS.items():
        text = (tmp_path / "whole" / f"{name}.csv").read_bytes()
        assert text.count(b"\n") > 5, name
        assert next(csv.reader(io.StringIO(text.decode()))) == columns, name
        assert (tmp_path / "merged" / f"{name}.csv").read_bytes() == text, name
        assert (world.folder / "expected" / f"{name}.csv").read_bytes() == text, name
