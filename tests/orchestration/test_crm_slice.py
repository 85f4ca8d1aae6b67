"""The CRM slice end to end through Dagster: dlt -> raw checks -> dbt -> mart, on DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings
from orchestration.runner import failure_report, run_daily_refresh
from orchestration.warehouse import query
from tests.conftest import scratch_settings
from tests.support.hand_world import (
    EXPECTED_MART,
    assert_rows_match,
    rep_performance_monthly,
    write_hand_world,
)

RAW_TABLES = ("owners", "deals", "deal_pipelines", "rejects")


def snapshot(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of the raw tables and the mart, sorted, to compare two runs."""
    tables = [f"raw_crm.{table}" for table in RAW_TABLES] + [
        "core.fct_deals",
        "marts.mart_rep_performance_monthly",
    ]
    return {
        table: sorted(query(settings, f"select * from {table}").astype(str).itertuples(index=False))
        for table in tables
    }


@pytest.fixture(scope="module")
def hand_world_run(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("duckdb_slice")
    export = write_hand_world(tmp_path / "crm", with_malformed=True)
    # 2 malformed lines out of 10: allowed here, the threshold has its own test.
    settings = scratch_settings(tmp_path, crm_export_dir=export, max_reject_rate=0.25)
    result = run_daily_refresh(settings)
    assert result.success, failure_report(result)
    return settings, result


def test_mart_matches_the_hand_worked_kpis(hand_world_run) -> None:
    settings, _ = hand_world_run
    assert_rows_match(rep_performance_monthly(settings), EXPECTED_MART)


def test_every_asset_materialized_and_every_check_passed(hand_world_run) -> None:
    _, result = hand_world_run
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert {
        "raw_crm/deals",
        "raw_crm/owners",
        "raw_crm/deal_pipelines",
        "staging/stg_crm__deals",
        "core/fct_deals",
        "marts/mart_rep_performance_monthly",
    } <= materialized
    checks = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    assert checks[("raw_crm/deals", "raw_deals_suite")] is True
    assert checks[("raw_crm/deals", "rejects_within_threshold")] is True
    assert (
        "marts/mart_rep_performance_monthly",
        "unique_combination_of_columns_mart_rep_performance_monthly_rep_id__month",
    ) in checks
    assert all(checks.values()), [key for key, passed in checks.items() if not passed]


def test_malformed_deals_are_quarantined_with_their_reason(hand_world_run) -> None:
    settings, _ = hand_world_run
    rejects = query(
        settings,
        "select object_type, line_number, reason, payload from raw_crm.rejects "
        "order by line_number",
    )
    assert rejects[["object_type", "line_number", "reason"]].values.tolist() == [
        ["deals", 9, "missing id"],
        ["deals", 10, "properties.amount: not a number: 'abc'"],
    ]
    assert '"bad amount"' in rejects["payload"].iloc[1]
    loaded = query(settings, "select id from raw_crm.deals order by cast(id as integer)")
    assert loaded["id"].tolist() == [str(n) for n in range(1, 9)]


def test_a_second_run_changes_no_row(hand_world_run) -> None:
    settings, _ = hand_world_run
    before = snapshot(settings)
    result = run_daily_refresh(settings)
    assert result.success, failure_report(result)
    assert snapshot(settings) == before


def test_too_many_rejects_fail_the_run_before_dbt(tmp_path: Path) -> None:
    export = write_hand_world(tmp_path / "crm", with_malformed=True)
    settings = scratch_settings(tmp_path, crm_export_dir=export, max_reject_rate=0.05)
    result = run_daily_refresh(settings)
    assert not result.success
    failed = "check raw_crm/deals:rejects_within_threshold failed (ERROR): "
    assert any(line.startswith(failed) for line in failure_report(result))
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "raw_crm/deals" in materialized
    assert not any(key.startswith("marts/") for key in materialized)


def test_an_unconfigured_crm_source_fails_with_what_to_set(tmp_path: Path) -> None:
    result = run_daily_refresh(scratch_settings(tmp_path))
    assert not result.success
    assert any("set SALES_TRACKER_CRM_EXPORT" in line for line in failure_report(result))
