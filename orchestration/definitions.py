"""The Dagster code location: every asset, check, job and schedule, assembled in one place."""

from __future__ import annotations

import dagster as dg
from dagster import Definitions

from ingest.settings import Settings
from orchestration.assets.ingestion import build_ingestion_assets, raw_tables_by_source
from orchestration.assets.transform import dbt_models
from orchestration.checks.quarantine import quarantine_checks
from orchestration.checks.raw_crm import raw_crm_checks
from orchestration.jobs import daily_refresh, daily_refresh_schedule
from orchestration.resources import build_resources


def build_definitions(settings: Settings) -> Definitions:
    """The definitions for one configuration; the UI and the CLI both come through here."""
    return Definitions(
        assets=[*build_ingestion_assets(settings), dbt_models],
        asset_checks=[*raw_crm_checks(), *quarantine_checks(raw_tables_by_source(settings))],
        jobs=[daily_refresh],
        schedules=[daily_refresh_schedule(settings)],
        resources=build_resources(settings),
    )


@dg.definitions
def defs() -> Definitions:
    """Loaded lazily by Dagster's tools: importing this module builds nothing."""
    return build_definitions(Settings.from_env())
