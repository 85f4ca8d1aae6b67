"""Jobs and their schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import AssetSelection, ScheduleDefinition, define_asset_job, in_process_executor

if TYPE_CHECKING:  # what define_asset_job returns; dagster does not export its name
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

from ingest.settings import Settings

# In-process: steps share the DuckDB file one after another, and the multiprocess
# executor would re-import the code location for every step (~7 s each).
daily_refresh = define_asset_job(
    name="daily_refresh",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Load every configured source, then build and test the warehouse.",
)


def ingest_job(source_names: list[str]) -> UnresolvedAssetJobDefinition:
    """Load the configured sources alone, without building the warehouse."""
    return define_asset_job(
        name="ingest",
        selection=AssetSelection.groups(*(f"ingest_{name}" for name in source_names)),
        executor_def=in_process_executor,
        description="Load every configured source into its raw_<source> dataset.",
    )


def daily_refresh_schedule(settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_refresh_schedule",
        job=daily_refresh,
        cron_schedule="0 6 * * *",
        execution_timezone=settings.company_timezone,
        description="Every morning at 06:00 company time, before the sales day starts.",
    )
