"""Ground truth of teams, funnel, stage times, open pipeline, sources and leads.

A hand-built world whose every number is worked out in the comments, then a generated
world: parts merge to one pass, expected/ is written, and its totals agree with
independent paths (the rep truth, the exports).
"""

from __future__ import annotations

import csv
import json
import pickle
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.truth.pipeline import (
    FUNNEL_COLUMNS,
    LEAD_COLUMNS,
    SNAPSHOT_COLUMNS,
    SOURCE_COLUMNS,
    STAGE_DURATION_COLUMNS,
    TEAM_MONTHLY_COLUMNS,
    PipelineTruth,
)
from demo.world import generate_world, roster
from demo.world.accounts import Company, Contact, Deal, build_company
from demo.world.fx import FxRates
from demo.world.org import Org, Rep, Team, build_org
from demo.world.pipelines import NEW_BUSINESS_ID, RENEWAL_ID
from demo.world.scales import SCALES
from tests.support.hand_facts import HandFx, utc

SALES, RENEWALS = "Sales Pipeline", "Renewals & Upsell"
OUTPUTS = {
    "team_performance_monthly": TEAM_MONTHLY_COLUMNS,
    "funnel_conversion": FUNNEL_COLUMNS,
    "stage_durations": STAGE_DURATION_COLUMNS,
    "pipeline_snapshots": SNAPSHOT_COLUMNS,
    "bookings_by_source": SOURCE_COLUMNS,
    "lead_conversion_monthly": LEAD_COLUMNS,
}
# Stage ids: Sales Pipeline (the ladder AS, QB, PS, DM, CS, then won) and Renewals.
AS, QB, PS = "appointmentscheduled", "qualifiedtobuy", "presentationscheduled"
DM = "decisionmakerboughtin"
WON, LOST = "closedwon", "closedlost"
DUE, PROPOSAL, CHURNED = "7812346", "7812347", "7812350"


def rep(rep_id: str, hired_on: date, spells: list[tuple[str, date]]) -> Rep:
    return Rep(rep_id, "Rep", rep_id, f"{rep_id.lower()}@x.example", hired_on, None, spells)


# R1 moves from Alpha to Beta on 2026-02-15. R3 is hired on 2026-03-10; the roster had
# pencilled them into Alpha from January, but from 2026-03-05 into Beta.
HAND_ORG = Org(
    teams=[Team("T1", "Alpha"), Team("T2", "Beta")],
    reps=[
        rep("R1", date(2024, 1, 1), [("T1", date(2024, 1, 1)), ("T2", date(2026, 2, 15))]),
        rep("R2", date(2024, 1, 1), [("T2", date(2024, 1, 1))]),
        rep("R3", date(2026, 3, 10), [("T1", date(2026, 1, 1)), ("T2", date(2026, 3, 5))]),
    ],
)


def contact(contact_id: str, created: str, sources: list[tuple[str, str]]) -> Contact:
    return Contact(
        contact_id,
        "C",
        contact_id,
        f"{contact_id.lower()}@c.example",
        utc(created),
        [(source, utc(when)) for source, when in sources],
        "R1",
    )


def deal(
    deal_id: str,
    currency: str,
    stages: list[tuple[str, str]],
    amounts: list[tuple[str, str]],
    owners: list[tuple[str, str]],
    outcome: str | None = None,
    pipeline_id: str = NEW_BUSINESS_ID,
    primary: str | None = None,
    deal_type: str = "newbusiness",
) -> Deal:
    created = utc(stages[0][1])
    closed_at = utc(stages[-1][1]) if outcome else None
    return Deal(
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        pipeline_id=pipeline_id,
        deal_type=deal_type,
        currency=currency,
        created_at=created,
        primary_contact_id=primary,
        stages=[(stage, utc(when)) for stage, when in stages],
        amounts=[(Decimal(amount), utc(when)) for amount, when in amounts],
        close_dates=[(closed_at or created + timedelta(days=30), created)],
        owners=[(owner, utc(when)) for owner, when in owners],
        forecast=[("PIPELINE", created)],
        outcome=outcome,
        closed_at=closed_at,
    )


def company(company_id: str, currency: str, source: str, contacts, deals) -> Company:
    return Company(
        company_id=company_id,
        name=f"Company {company_id}",
        domain=f"{company_id.lower()}.example",
        country="ID",
        currency=currency,
        created_at=utc("2025-09-01 00:00"),
        lead_source=source,
        owner_id="R1",
        contacts=contacts,
        deals=deals,
    )


def hand_companies() -> list[Company]:
    """All times UTC; Jakarta is UTC+7, so 17:00 UTC is the next day's midnight there.

    Sales Pipeline (probabilities AS .2, QB .4, PS .6, DM .8, CS .9):
    | deal | co | amount            | stage history (UTC)                        | owners     |
    |------|----|-------------------|--------------------------------------------|------------|
    | D1   | A  | 1000.00 USD,      | AS 01-10 03:00, QB 01-15 03:00, DM 01-20   | R2; R1 from|
    |      |    | 1200.00 from      | 03:00 (skips PS), PS 01-25 03:00 (back),   | 01-26 03:00|
    |      |    | 01-22 03:00       | DM 01-28 03:00, won 01-31 18:00 (Feb 1 in  | R2 from    |
    |      |    |                   | Jakarta); primary contact CA1              | 02-10      |
    | D2   | B  | 150,000 JPY       | AS 01-12 03:00, PS 01-14 03:00 (skips QB), | R1         |
    |      |    |                   | QB 01-20 03:00 (back), lost 02-03 03:00    |            |
    | D3,D4| A  | 10.03 USD each    | AS 03-02 03:00, lost 03-03 03:00           | R2         |
    | D6   | A  | 500.00 USD        | AS 02-05 03:00, won 02-12 03:00; ARCHIVED; | R1         |
    |      |    |                   | primary CA2                                |            |
    | D7   | B  | 90,000 JPY        | AS 01-12 05:00, won 02-10 03:00; TEST;     | R2         |
    |      |    |                   | primary CB1                                |            |
    | D10  | D  | 500.00 USD        | AS 02-16 03:00, won 02-20 03:00            | R1         |
    | D11  | A  | 100.00 USD        | AS 01-13 03:00, lost 01-14 03:00           | R2         |
    | D12  | B  | 160,000 JPY,      | AS 03-02 03:00, won 03-31 18:00 (Apr 1 in  | R2         |
    |      |    | 320,000 from      | Jakarta)                                   |            |
    |      |    | 03-09 17:00       |                                            |            |
    Renewals & Upsell (Renewal Due .5, Proposal Sent .7):
    | D8   | C  | 2000.00 USD       | Due 2025-12-31 03:00, Proposal 01-10 03:00,| R2         |
    |      |    |                   | open at the world's end; primary CC1       |            |
    | D9   | C  | 300.01 USD        | Due 2025-12-30 04:00, churned 01-02 04:00; | R2         |
    |      |    |                   | primary CC2                                |            |
    Dates without a year are in 2026.

    Contacts: CA1 2026-01-05 03:00 (source web, overwritten by partner on 02-20), CA2
    2026-01-20 (referral), CB1 2025-12-01 (webinar), CC1 2025-10-01 03:00 (D8 is created
    91 days after it), CC2 2025-10-01 04:00 (D9 exactly 90 days after), CD1 2026-01-31
    18:00 (Feb 1 in Jakarta). Company sources: A event, B outbound, C partner, D none.
    """
    ca1 = contact("CA1", "2026-01-05 03:00", [("web", "2026-01-05 03:00")])
    ca1.lead_sources.append(("partner", utc("2026-02-20 03:00")))  # a later import
    ca2 = contact("CA2", "2026-01-20 03:00", [("referral", "2026-01-20 03:00")])
    cb1 = contact("CB1", "2025-12-01 03:00", [("webinar", "2025-12-01 03:00")])
    cc1 = contact("CC1", "2025-10-01 03:00", [("partner", "2025-10-01 03:00")])
    cc2 = contact("CC2", "2025-10-01 04:00", [("partner", "2025-10-01 04:00")])
    cd1 = contact("CD1", "2026-01-31 18:00", [("social", "2026-01-31 18:00")])

    d1 = deal(
        "D1",
        "USD",
        [
            (AS, "2026-01-10 03:00"),
            (QB, "2026-01-15 03:00"),
            (DM, "2026-01-20 03:00"),
            (PS, "2026-01-25 03:00"),
            (DM, "2026-01-28 03:00"),
            (WON, "2026-01-31 18:00"),
        ],
        [("1000.00", "2026-01-10 03:00"), ("1200.00", "2026-01-22 03:00")],
        [("R2", "2026-01-10 03:00"), ("R1", "2026-01-26 03:00"), ("R2", "2026-02-10 03:00")],
        "won",
        primary="CA1",
    )
    d2 = deal(
        "D2",
        "JPY",
        [
            (AS, "2026-01-12 03:00"),
            (PS, "2026-01-14 03:00"),
            (QB, "2026-01-20 03:00"),
            (LOST, "2026-02-03 03:00"),
        ],
        [("150000", "2026-01-12 03:00")],
        [("R1", "2026-01-12 03:00")],
        "lost",
    )
    d3, d4 = (
        deal(
            deal_id,
            "USD",
            [(AS, "2026-03-02 03:00"), (LOST, "2026-03-03 03:00")],
            [("10.03", "2026-03-02 03:00")],
            [("R2", "2026-03-02 03:00")],
            "lost",
        )
        for deal_id in ("D3", "D4")
    )
    d6 = deal(
        "D6",
        "USD",
        [(AS, "2026-02-05 03:00"), (WON, "2026-02-12 03:00")],
        [("500.00", "2026-02-05 03:00")],
        [("R1", "2026-02-05 03:00")],
        "won",
        primary="CA2",
    )
    d6.archived_at = utc("2026-03-01 00:00")
    d7 = deal(
        "D7",
        "JPY",
        [(AS, "2026-01-12 05:00"), (WON, "2026-02-10 03:00")],
        [("90000", "2026-01-12 05:00")],
        [("R2", "2026-01-12 05:00")],
        "won",
        primary="CB1",
    )
    d7.is_test = True
    d8 = deal(
        "D8",
        "USD",
        [(DUE, "2025-12-31 03:00"), (PROPOSAL, "2026-01-10 03:00")],
        [("2000.00", "2025-12-31 03:00")],
        [("R2", "2025-12-31 03:00")],
        pipeline_id=RENEWAL_ID,
        primary="CC1",
        deal_type="existingbusiness",
    )
    d9 = deal(
        "D9",
        "USD",
        [(DUE, "2025-12-30 04:00"), (CHURNED, "2026-01-02 04:00")],
        [("300.01", "2025-12-30 04:00")],
        [("R2", "2025-12-30 04:00")],
        "lost",
        pipeline_id=RENEWAL_ID,
        primary="CC2",
        deal_type="renewal",
    )
    d10 = deal(
        "D10",
        "USD",
        [(AS, "2026-02-16 03:00"), (WON, "2026-02-20 03:00")],
        [("500.00", "2026-02-16 03:00")],
        [("R1", "2026-02-16 03:00")],
        "won",
    )
    d11 = deal(
        "D11",
        "USD",
        [(AS, "2026-01-13 03:00"), (LOST, "2026-01-14 03:00")],
        [("100.00", "2026-01-13 03:00")],
        [("R2", "2026-01-13 03:00")],
        "lost",
    )
    d12 = deal(
        "D12",
        "JPY",
        [(AS, "2026-03-02 03:00"), (WON, "2026-03-31 18:00")],
        # Doubled at the very end of Monday Mar 9 in Jakarta (its next midnight).
        [("160000", "2026-03-02 03:00"), ("320000", "2026-03-09 17:00")],
        [("R2", "2026-03-02 03:00")],
        "won",
    )
    return [
        company("A", "USD", "event", [ca1, ca2], [d1, d3, d4, d6, d11]),
        company("B", "JPY", "outbound", [cb1], [d2, d7, d12]),
        company("C", "USD", "partner", [cc1, cc2], [d8, d9]),
        company("D", "USD", "", [cd1], [d10]),
    ]


def hand_truth() -> PipelineTruth:
    truth = PipelineTruth(HAND_ORG, HandFx(), "USD")
    for hand_company in hand_companies():
        truth.add_company(hand_company)
    for rep_id, month, amount in (
        ("R1", date(2026, 1, 1), "1000"),
        ("R1", date(2026, 2, 1), "1000"),
        ("R1", date(2026, 3, 1), "1000"),
        ("R2", date(2026, 3, 1), "2000"),
        ("R3", date(2026, 3, 1), "500"),
    ):
        truth.add_quota(rep_id, month, Decimal(amount))
    return truth


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def hand_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    folder = tmp_path_factory.mktemp("hand")
    hand_truth().write(folder)
    rows = {}
    for name, columns in OUTPUTS.items():
        with (folder / f"{name}.csv").open(newline="") as handle:
            assert next(csv.reader(handle)) == columns, name
        rows[name] = read_csv(folder / f"{name}.csv")
    return rows


def test_team_months_by_hand(hand_rows) -> None:
    got = {
        (row["team_name"], row["month"]): tuple(row.values())[2:]
        for row in hand_rows["team_performance_monthly"]
    }
    assert got == {
        # January: no Alpha deal closed; R1's quota (Alpha on Jan 1).
        ("Alpha", "2026-01-01"): ("0.00", "0", "0", "", "", "1000", "0.0"),
        # February: D1 won 1200.00 (amount raised on 01-22), closed Feb 1 in Jakarta for R1
        # (owner at close; R2 only from 02-10), R1 still Alpha on Feb 1; D2 lost 150,000 JPY
        # on Feb 3 at 160 = 937.50. Win rate 1/2, by amount 1200 / 2137.50; R1's quota
        # (Alpha on Feb 1) 1000 -> attainment 1.2. D6 (archived) would have been Alpha's.
        ("Alpha", "2026-02-01"): (
            "1200.00",
            "1",
            "1",
            "0.5",
            repr(1200 / 2137.5),
            "1000",
            "1.2",
        ),
        # January: D9 churned (300.01) and D11 lost (100.00), both R2.
        ("Beta", "2026-01-01"): ("0.00", "0", "2", "0.0", "0.0", "", ""),
        # February: D10 won by R1 on Feb 20, after R1 moved to Beta (Feb 15). D7 is a test.
        ("Beta", "2026-02-01"): ("500.00", "1", "0", "1.0", "1.0", "", ""),
        # March: D3 and D4 lost (20.06). Quotas: R1 1000 (Beta on Mar 1) + R2 2000 + R3 500
        # (first active day Mar 10: Beta; on Mar 1 the roster still said Alpha) = 3500.
        ("Beta", "2026-03-01"): ("0.00", "0", "2", "0.0", "0.0", "3500", "0.0"),
        # April: D12 320,000 JPY won Apr 1 in Jakarta (Mar 31 in UTC) at 160 = 2000.00.
        ("Beta", "2026-04-01"): ("2000.00", "1", "0", "1.0", "1.0", "", ""),
    }


def test_funnel_by_hand(hand_rows) -> None:
    got: dict[tuple[str, str], list[tuple[str, int, int, str]]] = defaultdict(list)
    for row in hand_rows["funnel_conversion"]:
        got[(row["pipeline_name"], row["cohort_month"])].append(
            (
                row["stage_name"],
                int(row["stage_order"]),
                int(row["deals_reached"]),
                row["conversion_to_next_rate"],
            )
        )
    ladder = (
        "Appointment Scheduled",
        "Qualified To Buy",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
        "Closed Won",
    )

    def rungs(names, reached, rates):
        return [
            (name, order, count, rate)
            for order, (name, count, rate) in enumerate(
                zip(names, reached, rates, strict=True), start=1
            )
        ]

    assert got == {
        # December 2025 renewals: D8 reached Proposal Sent (open), D9 churned from Renewal
        # Due (churned is off the ladder). Nobody reached Verbal Yes: 0/0 is undefined.
        (RENEWALS, "2025-12-01"): rungs(
            ("Renewal Due", "Proposal Sent", "Verbal Yes", "Renewed"),
            (2, 1, 0, 0),
            ("0.5", "0.0", "", ""),
        ),
        # January: D1 won (every rung; it skipped Contract Sent), D2 reached PS by skipping
        # QB and went back to QB (still PS), D11 lost at AS. D7 (test) is left out.
        (SALES, "2026-01-01"): rungs(
            ladder, (3, 2, 2, 1, 1, 1), (repr(2 / 3), "1.0", "0.5", "1.0", "1.0", "")
        ),
        # February: D10 jumped from AS to won: every rung. D6 (archived) is left out.
        (SALES, "2026-02-01"): rungs(ladder, (1,) * 6, ("1.0",) * 5 + ("",)),
        # March: D3, D4 lost at AS; D12 won.
        (SALES, "2026-03-01"): rungs(
            ladder, (3, 1, 1, 1, 1, 1), (repr(1 / 3), "1.0", "1.0", "1.0", "1.0", "")
        ),
    }


def test_stage_durations_by_hand(hand_rows) -> None:
    got = {
        (row["pipeline_name"], row["stage_name"], row["month"]): (
            int(row["stays"]),
            float(row["avg_days_in_stage"]),
            float(row["median_days_in_stage"]),
        )
        for row in hand_rows["stage_durations"]
    }
    want = {
        # D9 Dec 30 -> Jan 2 (3 days), D8 Dec 31 -> Jan 10 (10 days); D8's Proposal Sent
        # is still open at the world's end: not a stay.
        (RENEWALS, "Renewal Due", "2026-01-01"): (2, 6.5, 6.5),
        # D1 5 days, D2 2 days, D11 1 day: mean 8/3, median 2. (D7, a test, would add
        # a stay ending in February.)
        (SALES, "Appointment Scheduled", "2026-01-01"): (3, 8 / 3, 2.0),
        (SALES, "Appointment Scheduled", "2026-02-01"): (1, 4.0, 4.0),  # D10; not D6
        (SALES, "Appointment Scheduled", "2026-03-01"): (2, 1.0, 1.0),  # D3, D4
        # D12: Mar 2 03:00 -> Mar 31 18:00 = 29 days 15 hours, ended Apr 1 in Jakarta.
        (SALES, "Appointment Scheduled", "2026-04-01"): (1, 29.625, 29.625),
        (SALES, "Qualified To Buy", "2026-01-01"): (1, 5.0, 5.0),  # D1 Jan 15 -> 20
        (SALES, "Qualified To Buy", "2026-02-01"): (1, 14.0, 14.0),  # D2 Jan 20 -> lost
        # D2 Jan 14 -> 20 (6 days; exits backwards), D1 Jan 25 -> 28 (3 days).
        (SALES, "Presentation Scheduled", "2026-01-01"): (2, 4.5, 4.5),
        # D1 in DM twice: Jan 20 -> 25 (5 days), then Jan 28 03:00 -> won Jan 31 18:00
        # (3.625 days, ended Feb 1 in Jakarta).
        (SALES, "Decision Maker Bought-In", "2026-01-01"): (1, 5.0, 5.0),
        (SALES, "Decision Maker Bought-In", "2026-02-01"): (1, 3.625, 3.625),
    }
    assert set(got) == set(want)
    for key, values in want.items():
        assert got[key] == pytest.approx(values, abs=1e-12), key


def test_pipeline_snapshots_by_hand(hand_rows) -> None:
    rows = hand_rows["pipeline_snapshots"]
    got = {
        (row["snapshot_date"], row["pipeline_name"], row["stage_name"], row["rep_id"]): (
            int(row["open_deals"]),
            row["open_amount"],
            row["weighted_amount"],
        )
        for row in rows
        if row["snapshot_date"] <= "2026-04-06"
    }
    proposal = (1, "2000.00", "1400.00")  # D8 in Proposal Sent from Jan 10, R2: 2000 x .7

    def d8_only(day: str) -> dict:
        return {(day, RENEWALS, "Proposal Sent", "R2"): proposal}

    want = {
        # Wed Dec 31 (a month end), 17:00 UTC: D8 and D9 in Renewal Due, both R2:
        # 2000.00 + 300.01; weighted 1000 + 150.005 = 1150.005, rounded once: 1150.01.
        ("2025-12-31", RENEWALS, "Renewal Due", "R2"): (2, "2300.01", "1150.01"),
        # Mon Jan 5: D9 churned on Jan 2; D8 still Renewal Due.
        ("2026-01-05", RENEWALS, "Renewal Due", "R2"): (1, "2000.00", "1000.00"),
        # Mon Jan 12 (cut 17:00 UTC): D1 AS (R2, 1000), D2 AS (R1, 150,000 JPY at 150);
        # D11 not yet created (Jan 13); D7 (test) would join D1's row.
        **d8_only("2026-01-12"),
        ("2026-01-12", SALES, "Appointment Scheduled", "R2"): (1, "1000.00", "200.00"),
        ("2026-01-12", SALES, "Appointment Scheduled", "R1"): (1, "1000.00", "200.00"),
        # Mon Jan 19: D1 in QB (DM only from Jan 20); D2 in PS.
        **d8_only("2026-01-19"),
        ("2026-01-19", SALES, "Qualified To Buy", "R2"): (1, "1000.00", "400.00"),
        ("2026-01-19", SALES, "Presentation Scheduled", "R1"): (1, "1000.00", "600.00"),
        # Mon Jan 26: D1 back in PS, owner R1 since 03:00, amount 1200; D2 back in QB.
        **d8_only("2026-01-26"),
        ("2026-01-26", SALES, "Presentation Scheduled", "R1"): (1, "1200.00", "720.00"),
        ("2026-01-26", SALES, "Qualified To Buy", "R1"): (1, "1000.00", "400.00"),
        # Sat Jan 31 (month end), cut 17:00 UTC: D1 is won an hour later, so still in DM.
        **d8_only("2026-01-31"),
        ("2026-01-31", SALES, "Decision Maker Bought-In", "R1"): (1, "1200.00", "960.00"),
        ("2026-01-31", SALES, "Qualified To Buy", "R1"): (1, "1000.00", "400.00"),
        # Mon Feb 2: the JPY rate is 160 now: D2 is 937.50, weighted 375.00.
        **d8_only("2026-02-02"),
        ("2026-02-02", SALES, "Qualified To Buy", "R1"): (1, "937.50", "375.00"),
        # Mon Feb 9: D2 lost on Feb 3; D6 (archived) is not there.
        **d8_only("2026-02-09"),
        **d8_only("2026-02-16"),
        ("2026-02-16", SALES, "Appointment Scheduled", "R1"): (1, "500.00", "100.00"),  # D10
        **d8_only("2026-02-23"),
        **d8_only("2026-02-28"),
        # Mon Mar 2: D3 + D4 + D12 (160,000 JPY at 160) in AS, R2: 10.03 + 10.03 + 1000.00;
        # weighted 2.006 + 2.006 + 200 = 204.012 -> 204.01 (per deal it would be 204.02).
        **d8_only("2026-03-02"),
        ("2026-03-02", SALES, "Appointment Scheduled", "R2"): (3, "1020.06", "204.01"),
        # Mon Mar 9: D12 alone; its new amount is dated at this day's cut (Mar 9 17:00 UTC,
        # midnight in Jakarta), so it belongs to Mar 10: still 1000.00.
        **d8_only("2026-03-09"),
        ("2026-03-09", SALES, "Appointment Scheduled", "R2"): (1, "1000.00", "200.00"),
        # Then 320,000 JPY = 2000.00 until it is won on Mar 31 at 18:00 UTC, after that
        # day's cut.
        **{
            key: value
            for day in ("2026-03-16", "2026-03-23", "2026-03-30", "2026-03-31")
            for key, value in {
                **d8_only(day),
                (day, SALES, "Appointment Scheduled", "R2"): (1, "2000.00", "400.00"),
            }.items()
        },
        **d8_only("2026-04-06"),
    }
    assert got == want
    # D8 stays open to the world's end: the last row is Saturday 2026-10-31.
    assert rows[-1] == {
        "snapshot_date": "2026-10-31",
        "pipeline_name": RENEWALS,
        "stage_name": "Proposal Sent",
        "rep_id": "R2",
        "open_deals": "1",
        "open_amount": "2000.00",
        "weighted_amount": "1400.00",
    }
    # Snapshot dates: 104 Mondays (2024-11-04 to 2026-10-26, 103 weeks apart) and 24 month
    # ends, of which 2025-03-31, 2025-06-30 and 2026-08-31 are Mondays: 125.
    days = list(hand_truth().snapshot_dates())
    assert (len(days), days[0], days[-1]) == (125, date(2024, 11, 4), date(2026, 10, 31))
    assert date(2024, 11, 30) in days and date(2026, 2, 28) in days


def test_bookings_by_source_by_hand(hand_rows) -> None:
    assert [tuple(row.values()) for row in hand_rows["bookings_by_source"]] == [
        # D12: no primary contact, company B's source.
        ("outbound", "2026-04-01", "2000.00", "1"),
        # D10: no primary contact, and company D has no source.
        ("unknown", "2026-02-01", "500.00", "1"),
        # D1: CA1's first source, web, not the later partner; not company A's event.
        ("web", "2026-02-01", "1200.00", "1"),
    ]


def test_lead_conversion_by_hand(hand_rows) -> None:
    got = {row["month"]: tuple(row.values())[1:] for row in hand_rows["lead_conversion_monthly"]}
    assert got == {
        # CC1 (D8 created 91 days later: no) and CC2 (D9 exactly 90 days later: yes).
        "2025-10-01": ("2", "1", "0.5"),
        # CB1: its only deal D7 is a test deal.
        "2025-12-01": ("1", "0", "0.0"),
        # CA1 (D1 five days later) and CA2 (no counted deal: D6 is archived).
        "2026-01-01": ("2", "1", "0.5"),
        # CD1, created Jan 31 18:00 UTC = Feb 1 in Jakarta, no deal.
        "2026-02-01": ("1", "0", "0.0"),
    }


# --- a generated world ------------------------------------------------------------------


def test_parts_merge_to_one_pass_and_expected_is_written(tmp_path: Path) -> None:
    world = generate_world(tmp_path / "xs", "xs", 7)
    org = build_org(random.Random("7:org"), SCALES["xs"])
    fx = FxRates(random.Random("7:fx"))
    companies = [build_company(7, index, org, fx) for index in range(SCALES["xs"].companies)]
    whole, parts = PipelineTruth(org, fx), [PipelineTruth(org, fx) for _ in range(3)]
    for position, generated in enumerate(companies):
        whole.add_company(generated)
        parts[position * 3 // len(companies)].add_company(generated)
    merged = PipelineTruth(org, fx)
    for part in reversed(parts):  # the order parts arrive in must not matter
        merged.merge(pickle.loads(pickle.dumps(part.part())))
    for rep_id, row, amount in roster.quota_rows(random.Random("7:quotas"), org):
        for truth in (whole, merged):
            truth.add_quota(rep_id, date.fromisoformat(f"{row['month']}-01"), amount)
    whole.write(tmp_path / "whole")
    merged.write(tmp_path / "merged")
    for name in OUTPUTS:
        text = (tmp_path / "whole" / f"{name}.csv").read_bytes()
        assert text.count(b"\n") > 5, name
        assert (tmp_path / "merged" / f"{name}.csv").read_bytes() == text, name
        assert (world.folder / "expected" / f"{name}.csv").read_bytes() == text, name


def test_generated_totals_agree_with_independent_paths(tmp_path: Path) -> None:
    """The rep truth (ground_truth.py) and the exports give the same totals by other roads."""
    world = generate_world(tmp_path / "xs", "xs", 7)
    expected = world.folder / "expected"

    def by_month(name: str, columns: tuple[str, ...]) -> dict[str, tuple[Decimal, ...]]:
        totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * len(columns))
        for row in read_csv(expected / f"{name}.csv"):
            for position, column in enumerate(columns):
                totals[row["month"]][position] += Decimal(row[column] or 0)
        return {month: tuple(values) for month, values in totals.items() if any(values)}

    closed = ("bookings_amount", "deals_won", "deals_lost", "quota_amount")
    reps = by_month("rep_performance_monthly", closed)
    assert by_month("team_performance_monthly", closed) == reps
    won = {month: values[:2] for month, values in reps.items() if values[1]}
    assert by_month("bookings_by_source", closed[:2]) == won
    assert by_month("revenue_monthly", closed[:1]) == {m: v[:1] for m, v in won.items()}
    assert len(won) >= 10

    # From the exports: counted deals by pipeline and Jakarta creation month = rung 1;
    # open at the end = the last snapshot; contacts = leads.
    jakarta = ZoneInfo("Asia/Jakarta")
    rates: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in read_csv(world.files_dir / "fx_rates.csv"):
        rates[row["currency_code"]][row["date"]] = Decimal(row["units_per_usd"])
    stages, names = {}, {}
    for line in (world.crm_dir / "deal_pipelines.jsonl").read_text().splitlines():
        pipeline = json.loads(line)
        names[pipeline["id"]] = pipeline["label"]
        for stage in pipeline["stages"]:
            stages[stage["id"]] = (stage["metadata"]["isClosed"] == "false", stage["label"])
    cohorts: Counter[tuple[str, str]] = Counter()
    open_now: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    last_rate_day = max(day for day in rates["USD"] if day <= "2026-10-31")
    for line in (world.crm_dir / "deals.jsonl").read_text().splitlines():
        exported = json.loads(line)
        props = exported["properties"]
        if exported["archived"] or props.get("test_deal") == "true":
            continue
        created = datetime.fromisoformat(props["createdate"]).astimezone(jakarta)
        cohorts[(names[props["pipeline"]], f"{created:%Y-%m}-01")] += 1
        is_open, label = stages[props["dealstage"]]
        if is_open:
            key = (names[props["pipeline"]], label, props["hubspot_owner_id"])
            usd = Decimal(props["amount"]) / rates[props["deal_currency_code"]][last_rate_day]
            open_now[key][0] += 1
            open_now[key][1] += usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    funnel = read_csv(expected / "funnel_conversion.csv")
    first_rungs = {
        (row["pipeline_name"], row["cohort_month"]): int(row["deals_reached"])
        for row in funnel
        if row["stage_order"] == "1"
    }
    assert first_rungs == dict(cohorts)
    reached: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in funnel:
        reached[(row["pipeline_name"], row["cohort_month"])].append(int(row["deals_reached"]))
    assert all(counts == sorted(counts, reverse=True) for counts in reached.values())
    last = {
        (row["pipeline_name"], row["stage_name"], row["rep_id"]): [
            int(row["open_deals"]),
            Decimal(row["open_amount"]),
        ]
        for row in read_csv(expected / "pipeline_snapshots.csv")
        if row["snapshot_date"] == "2026-10-31"
    }
    assert last == dict(open_now) and last
    contacts = len((world.crm_dir / "contacts.jsonl").read_text().splitlines())
    leads = read_csv(expected / "lead_conversion_monthly.csv")
    assert sum(int(row["leads_created"]) for row in leads) == contacts
    assert 0 < sum(int(row["leads_converted"]) for row in leads) < contacts
