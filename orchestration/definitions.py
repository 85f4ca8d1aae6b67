"""The Dagster code location: every asset, check, job, schedule and sensor, in one place."""

from __future__ import annotations

import dagster as dg
from dagster import Definitions

from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.assets.ingestion import build_ingestion_assets, raw_tables_by_source
from orchestration.assets.transform import dbt_models
from orchestration.checks.quarantine import quarantine_checks
from orchestration.checks.raw_crm import raw_crm_checks
from orchestration.jobs import daily_refresh, daily_refresh_schedule, ingest_job
from orchestration.resources import build_resources
from orchestration.stale_runs import fail_dead_cli_runs


def build_definitions(settings: Settings) -> Definitions:
    """The definitions for one configuration; the UI and the CLI both come through here."""
    ingestion = build_ingestion_assets(settings)
    loaded_keys = {key for assets in ingestion for key in assets.keys}
    # Tables that are assets of their own (not the ones a resource routes beside its own).
    checked = {
        source: tuple(t for t in tables if raw_table_key(source, t) in loaded_keys)
        for source, tables in raw_tables_by_source(settings).items()
    }
    return Definitions(
        assets=[*ingestion, dbt_models],
        asset_checks=[*raw_crm_checks(), *quarantine_checks(checked)],
        jobs=[daily_refresh, ingest_job(list(raw_tables_by_source(settings)))],
        schedules=[daily_refresh_schedule(settings)],
        sensors=[fail_dead_cli_runs],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> Definitions:
    """Loaded lazily by Dagster's tools: importing this module builds nothing."""
    return build_definitions(Settings.from_env())
