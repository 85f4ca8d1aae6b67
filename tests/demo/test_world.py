"""The demo world: deterministic, linear in scale, and its ground truth right."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demo.world import generate_world
from demo.world.dirty import CRM_VARIANTS, FILE_VARIANTS, STRIPE_VARIANTS
from demo.world.scales import SCALES, Scale


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    one = generate_world(tmp_path / "one", "xs", seed=11, workers=1)
    two = generate_world(tmp_path / "two", "xs", seed=11, workers=2)
    assert tree_bytes(one.folder) == tree_bytes(two.folder)
    other = generate_world(tmp_path / "other", "xs", seed=12, workers=1)
    assert tree_bytes(one.folder) != tree_bytes(other.folder)


def test_counts_grow_linearly_with_scale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "t1", Scale("t1", reps=10, companies=2_000))
    monkeypatch.setitem(SCALES, "t2", Scale("t2", reps=20, companies=4_000))
    small = generate_world(tmp_path / "t1", "t1", workers=1).counts
    large = generate_world(tmp_path / "t2", "t2", workers=2).counts
    for object_type in ("companies", "contacts", "deals", "calls", "meetings", "tasks"):
        assert large[object_type] / small[object_type] == pytest.approx(2.0, rel=0.08), object_type


def test_dirty_mode_adds_malformed_records_beside_the_good_ones(tmp_path: Path) -> None:
    clean = generate_world(tmp_path / "clean", "xs", seed=5)
    dirty = generate_world(tmp_path / "dirty", "xs", seed=5, dirty_rate=0.3)
    assert set(dirty.dirty_counts) == {
        *CRM_VARIANTS,
        *(kind for kind in STRIPE_VARIANTS if clean.counts.get(kind, 0) >= 10),
        *FILE_VARIANTS,
    }
    for name, malformed in dirty.dirty_counts.items():
        assert dirty.counts[name] == clean.counts[name] + malformed, name
    assert tree_bytes(dirty.folder / "expected") == tree_bytes(clean.folder / "expected")
    # Every good record is still there, byte for byte, in the same order.
    for path in (*clean.folder.glob("*/*.jsonl"), *clean.folder.glob("files/*.csv")):
        lines = path.read_bytes().splitlines()
        dirty_lines = iter(
            (dirty.folder / path.relative_to(clean.folder)).read_bytes().splitlines()
        )
        assert all(line in dirty_lines for line in lines), path
    # And each malformed line is broken in a way a connector can name.
    deals = [json.loads(line) for line in (dirty.crm_dir / "deals.jsonl").read_text().splitlines()]
    broken = [
        deal
        for deal in deals
        if "id" not in deal
        or deal["properties"].get("amount") == "n/a"
        or deal["properties"].get("closedate") == "31/12/2026"
        or deal["properties"]["hs_lastmodifieddate"] == "yesterday"
    ]
    assert len(broken) == dirty.dirty_counts["deals"]


def test_expected_bookings_recomputed_from_the_exports(tmp_path: Path) -> None:
    """An independent path to the same numbers: read the exported deals and FX file back,
    apply kpis.md by hand (owner at close from history, close month in Jakarta, the close
    day's rate or the latest earlier one), and compare with expected/."""
    world = generate_world(tmp_path / "xs", "xs", seed=7)
    rates: dict[str, dict[date, Decimal]] = defaultdict(dict)
    with (world.files_dir / "fx_rates.csv").open() as handle:
        for row in csv.DictReader(handle):
            rates[row["currency_code"]][date.fromisoformat(row["date"])] = Decimal(
                row["units_per_usd"]
            )

    def rate(code: str, day: date) -> Decimal:
        while day not in rates[code]:
            day -= timedelta(days=1)
        return rates[code][day]

    jakarta = ZoneInfo("Asia/Jakarta")
    stages = {}
    for line in (world.crm_dir / "deal_pipelines.jsonl").read_text().splitlines():
        for stage in json.loads(line)["stages"]:
            meta = stage["metadata"]
            stages[stage["id"]] = (
                None
                if meta["isClosed"] == "false"
                else ("won" if Decimal(meta["probability"]) == 1 else "lost")
            )
    won: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counted: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in (world.crm_dir / "deals.jsonl").read_text().splitlines():
        deal = json.loads(line)
        props = deal["properties"]
        outcome = stages[props["dealstage"]]
        if deal["archived"] or props.get("test_deal") == "true" or outcome is None:
            continue
        closed_at = datetime.fromisoformat(props["closedate"])
        owner = next(
            change["value"]
            for change in deal["propertiesWithHistory"]["hubspot_owner_id"]
            if datetime.fromisoformat(change["timestamp"]) <= closed_at
        )
        close_day = closed_at.astimezone(jakarta).date()
        key = (owner, close_day.replace(day=1).isoformat())
        counted[key][0 if outcome == "won" else 1] += 1
        if outcome == "won":
            usd = Decimal(props["amount"]) / rate(props["deal_currency_code"], close_day)
            won[key] += usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    with (world.folder / "expected" / "rep_performance_monthly.csv").open() as handle:
        expected = {
            (row["rep_id"], row["month"]): row
            for row in csv.DictReader(handle)
            if int(row["deals_won"]) + int(row["deals_lost"])
        }
    assert set(expected) == set(counted)
    assert len(expected) >= 10
    for key, (won_count, lost_count) in counted.items():
        assert int(expected[key]["deals_won"]) == won_count, key
        assert int(expected[key]["deals_lost"]) == lost_count, key
        assert Decimal(expected[key]["bookings_amount"]) == won.get(key, Decimal(0)), key


def test_enps_worked_by_hand(tmp_path: Path) -> None:
    from demo.truth.ground_truth import GroundTruth
    from demo.world.fx import FxRates
    from demo.world.org import Org, Rep, Team
    from demo.world.people_files import SurveyResponse

    day = date(2026, 1, 15)

    def rep(n: int, team: str, left_on: date | None = None) -> Rep:
        return Rep(
            str(n),
            "R",
            str(n),
            f"r{n}@x.example",
            date(2025, 1, 1),
            left_on,
            [(team, date(2025, 1, 1))],
        )

    # Team A: 5 active reps (a sixth left before the survey), 4 answer: scores 10, 9, 7, 3
    # -> promoters 2/4, detractors 1/4, eNPS 0.25, response rate 4/5.
    # Team B: 2 active reps, 2 answer -> fewer than 3 responses: no score shown.
    org = Org(
        teams=[Team("a", "Alpha"), Team("b", "Beta")],
        reps=[
            rep(1, "a"),
            rep(2, "a"),
            rep(3, "a"),
            rep(4, "a"),
            rep(5, "a"),
            rep(6, "a", left_on=date(2026, 1, 1)),
            rep(7, "b"),
            rep(8, "b"),
        ],
    )
    answers = [(1, "a", 10), (2, "a", 9), (3, "a", 7), (4, "a", 3), (7, "b", 10), (8, "b", 0)]
    responses = [
        SurveyResponse("pulse", day, str(n), team, team.upper(), score)
        for n, team, score in answers
    ]
    GroundTruth(FxRates(random.Random(1))).write_enps(tmp_path, org, responses)
    with (tmp_path / "enps.csv").open() as handle:
        rows = {row["team_name"]: row for row in csv.DictReader(handle)}
    alpha, beta = rows["Alpha"], rows["Beta"]
    assert (alpha["responses"], alpha["active_reps"]) == ("4", "5")
    assert float(alpha["response_rate"]) == pytest.approx(0.8)
    assert float(alpha["promoters_rate"]) == pytest.approx(0.5)
    assert float(alpha["detractors_rate"]) == pytest.approx(0.25)
    assert float(alpha["enps"]) == pytest.approx(0.25)
    assert (beta["responses"], beta["active_reps"], beta["enps"]) == ("2", "2", "")


def test_rep_month_kpis_worked_out_by_hand() -> None:
    """Deals by hand (each created 20 days before its close; USD unless said):

    - D1 won 1,000.00 by R1, closed 2026-01-05 03:00 UTC.
    - D2 won 150,000 JPY by R1, closed 2026-01-28 (150 JPY per USD): 1,000.00.
    - D3 lost 500.00 by R1, closed 2026-01-20.
    - D4 won 700.00 by R1, closed 2026-01-31 18:00 UTC = February 1 in Jakarta.
    - D5 won 300.00, owned by R2 until 2026-01-10 then by R1, closed 2026-01-09: R2's.
    - D6 (archived) and D7 (a test deal), both won by R1 in January: never counted.

    R1, January: won 2 (2,000.00), lost 1: win rate 2/3, by amount 2,000/2,500 = 0.8;
    mean and median deal 1,000.00; cycle 20 days; quota 4,000.00: attainment 0.5.
    R1, February: D4 alone. R2, January: D5 alone, no quota.
    """
    from demo.truth.ground_truth import GroundTruth
    from demo.world.accounts import Company
    from tests.support.hand_facts import HandFx, hand_deal

    r1 = [("R1", "2025-12-01")]
    d5_owners = [("R2", "2025-12-01"), ("R1", "2026-01-10 00:00")]
    deals = [
        hand_deal("D1", "1000.00", "USD", "2026-01-05 03:00", r1),
        hand_deal("D2", "150000", "JPY", "2026-01-28 03:00", r1),
        hand_deal("D3", "500.00", "USD", "2026-01-20 03:00", r1),
        hand_deal("D4", "700.00", "USD", "2026-01-31 18:00", r1),
        hand_deal("D5", "300.00", "USD", "2026-01-09 03:00", d5_owners),
        hand_deal("D6", "9999.00", "USD", "2026-01-12 03:00", r1),
        hand_deal("D7", "8888.00", "USD", "2026-01-13 03:00", r1),
    ]
    deals[2].outcome = "lost"
    deals[5].archived_at = deals[5].closed_at + timedelta(days=3)
    deals[6].is_test = True
    truth = GroundTruth(HandFx(), "USD")
    truth.add_company(
        Company("1", "One", "one.example", "US", "USD", deals[0].created_at, "web", "R1", [], deals)
    )
    truth.add_quota("R1", date(2026, 1, 1), Decimal("4000.00"))
    rows = {(row["rep_id"], row["month"]): row for row in truth._rep_monthly_rows()}
    assert set(rows) == {("R1", "2026-01-01"), ("R1", "2026-02-01"), ("R2", "2026-01-01")}
    january = rows[("R1", "2026-01-01")]
    assert (january["bookings_amount"], january["deals_won"], january["deals_lost"]) == (
        Decimal("2000.00"),
        2,
        1,
    )
    assert float(january["win_rate"]) == pytest.approx(2 / 3, abs=1e-12)
    assert float(january["win_rate_by_amount"]) == pytest.approx(0.8, abs=1e-12)
    assert january["avg_deal_size_amount"] == january["median_deal_size_amount"] == Decimal(1000)
    assert float(january["avg_sales_cycle_days"]) == 20 == january["median_sales_cycle_days"]
    assert float(january["quota_attainment"]) == pytest.approx(0.5, abs=1e-12)
    february, r2 = rows[("R1", "2026-02-01")], rows[("R2", "2026-01-01")]
    assert (february["bookings_amount"], february["deals_won"]) == (Decimal("700.00"), 1)
    assert (r2["bookings_amount"], r2["deals_won"], r2["quota_attainment"]) == (
        Decimal("300.00"),
        1,
        "",
    )
