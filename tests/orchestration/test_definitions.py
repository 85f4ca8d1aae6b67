"""The code location as Dagster's tools load it: lineage, checks, job, schedule, pools."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, Definitions

from ingest.crm import CRM_OBJECT_TYPES
from orchestration.definitions import build_definitions, defs
from orchestration.resources import WAREHOUSE_POOL
from tests.conftest import scratch_settings


def load(tmp_path: Path) -> Definitions:
    return build_definitions(scratch_settings(tmp_path, crm_export_dir=tmp_path / "crm"))


def test_dbt_sources_are_the_dlt_assets(tmp_path: Path) -> None:
    graph = load(tmp_path).resolve_asset_graph()
    raw = {key for key in graph.get_all_asset_keys() if key.path[0] == "raw_crm"}
    assert raw == {AssetKey(["raw_crm", kind.name]) for kind in CRM_OBJECT_TYPES}
    assert {"owners", "deals", "deal_pipelines", "calls", "line_items"} <= {k.path[1] for k in raw}
    assert all(graph.get(key).is_materializable for key in raw)
    staging_deals = graph.get(AssetKey(["staging", "stg_crm__deals"]))
    assert AssetKey(["raw_crm", "deals"]) in staging_deals.parent_keys
    mart = graph.get(AssetKey(["marts", "mart_rep_performance_monthly"]))
    assert AssetKey(["core", "fct_deals"]) in mart.parent_keys


def test_writers_share_the_warehouse_pool_and_checks_are_attached(tmp_path: Path) -> None:
    definitions = load(tmp_path)
    graph = definitions.resolve_asset_graph()
    for assets_def in graph.assets_defs:
        if assets_def.is_executable and assets_def.keys:
            assert assets_def.node_def.pool == WAREHOUSE_POOL, assets_def.node_def.name
    check_keys = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("raw_crm/deals", "raw_deals_suite") in check_keys
    assert ("raw_crm/owners", "rejects_within_threshold") in check_keys
    assert ("core/fct_deals", "unique_fct_deals_deal_id") in check_keys


def test_daily_refresh_runs_everything_on_a_schedule(tmp_path: Path) -> None:
    definitions = load(tmp_path)
    job = definitions.resolve_job_def("daily_refresh")
    assert job.executor_def.name == "in_process"
    schedule = definitions.resolve_schedule_def("daily_refresh_schedule")
    assert schedule.job_name == "daily_refresh"
    assert schedule.execution_timezone == "Asia/Jakarta"


def test_the_module_entry_point_loads_lazily() -> None:
    assert isinstance(defs(), Definitions)
