"""The dlt pipelines: one per source system, each loading into its ``raw_<source>`` dataset."""

from __future__ import annotations

import dlt
from dlt.common.destination import Destination

from ingest.settings import Settings


def raw_dataset(source_name: str) -> str:
    return f"raw_{source_name}"


def destination(settings: Settings) -> Destination:
    if settings.target == "postgres":
        assert settings.postgres is not None
        return dlt.destinations.postgres(credentials=settings.postgres.dlt_credentials())
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return dlt.destinations.duckdb(credentials=str(settings.warehouse_path))


def make_pipeline(settings: Settings, source_name: str) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=f"sales_tracker_{source_name}",
        destination=destination(settings),
        dataset_name=raw_dataset(source_name),
        pipelines_dir=str(settings.state_dir),
    )
