"""The marts, built by the real pipeline from the demo world, held against its ground truth.

The ground truth is computed by the generator from its own facts (ingest/demo/world/
truth.py), never from the exports or through SQL.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest

from ingest.demo.world import generate_world
from orchestration.runner import failure_report, run_daily_refresh
from tests.conftest import scratch_settings
from tests.marts import REP_MONTHLY_COLUMNS, rep_performance_monthly

MONEY = {"bookings_amount", "avg_deal_size_amount", "median_deal_size_amount"}
COUNTS = {"deals_won", "deals_lost"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("ground_truth")
    world = generate_world(tmp_path / "world", "s", seed=7)
    settings = scratch_settings(tmp_path, crm_export_dir=world.crm_dir, files_dir=world.files_dir)
    result = run_daily_refresh(settings)
    assert result.success, failure_report(result)
    return world, settings


def expected_rep_months(world) -> dict[tuple[str, str], dict[str, str]]:
    with (world.folder / "expected" / "rep_performance_monthly.csv").open() as handle:
        return {
            (row["rep_id"], row["month"]): row
            for row in csv.DictReader(handle)
            if int(row["deals_won"]) + int(row["deals_lost"])
        }


def test_rep_performance_monthly_matches_the_ground_truth(demo_run) -> None:
    world, settings = demo_run
    expected = expected_rep_months(world)
    actual = rep_performance_monthly(settings)
    assert len(expected) > 500
    assert sorted(actual) == sorted(expected)
    mismatches = []
    for key, row in expected.items():
        for column, got in zip(REP_MONTHLY_COLUMNS, actual[key], strict=True):
            if column == "team_name":
                continue
            want = row[column]
            if want == "":
                ok = got is None
            elif column in MONEY:
                ok = got == Decimal(want)
            elif column in COUNTS:
                ok = got == int(want)
            else:
                ok = got == pytest.approx(float(want), abs=1e-9)
            if not ok:
                mismatches.append((key, column, got, want))
    assert mismatches == []
