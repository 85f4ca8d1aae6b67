"""Asset keys shared by every integration, so that lineage joins without hand-kept lists."""

from __future__ import annotations

from dagster import AssetKey

from ingest.pipeline import raw_dataset


def raw_table_key(source_name: str, table_name: str) -> AssetKey:
    """The key of a raw table: ``raw_<source>/<table>``, as dlt loads it and dbt reads it."""
    return AssetKey([raw_dataset(source_name), table_name])


def model_key(schema: str, relation_name: str) -> AssetKey:
    """The key of a dbt relation: ``<schema>/<name>`` (``marts/mart_rep_performance_monthly``)."""
    return AssetKey([schema, relation_name])
