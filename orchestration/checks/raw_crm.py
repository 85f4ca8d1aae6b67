"""Checks on the CRM's raw tables, run right after they load and before dbt reads them."""

import json

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    MetadataValue,
    ResourceParam,
    asset_check,
)

from data_quality.runner import run_suite
from data_quality.suites.raw_crm import RAW_DEALS_SUITE, pipeline_stage_key, raw_deals_expectations
from ingest.pipeline import raw_dataset
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.warehouse import query

RAW_CRM = raw_dataset("crm")


@asset_check(
    asset=raw_table_key("crm", "deals"),
    name="raw_deals_suite",
    description="great-expectations: ids unique and present, amount not negative, "
    "stage in the deal's pipeline.",
    additional_deps=[raw_table_key("crm", "deal_pipelines")],
    blocking=True,
)
def raw_deals_suite(settings: ResourceParam[Settings]) -> AssetCheckResult:
    deals = query(settings, f"select id, properties from {RAW_CRM}.deals")
    pipelines = query(settings, f"select id, stages from {RAW_CRM}.deal_pipelines")
    result = run_suite(
        RAW_DEALS_SUITE, _deals_frame(deals), raw_deals_expectations(_stage_keys(pipelines))
    )
    return AssetCheckResult(
        passed=result.success,
        metadata={
            "suite": result.suite_name,
            "rows": result.rows,
            "expectations": len(result.outcomes),
            "failures": MetadataValue.md(
                "\n".join(f"- {failure.describe()}" for failure in result.failures) or "none"
            ),
        },
    )


def _deals_frame(deals: pd.DataFrame) -> pd.DataFrame:
    properties = [json.loads(text) if text else {} for text in deals["properties"]]
    return pd.DataFrame(
        {
            "id": deals["id"],
            "amount": pd.to_numeric(
                pd.Series([props.get("amount") or None for props in properties], dtype="object"),
                errors="coerce",
            ),
            "pipeline_stage": [
                pipeline_stage_key(props.get("pipeline"), props.get("dealstage"))
                for props in properties
            ],
        }
    )


def _stage_keys(pipelines: pd.DataFrame) -> list[str]:
    return [
        pipeline_stage_key(pipeline_id, stage.get("id"))
        for pipeline_id, stages in zip(pipelines["id"], pipelines["stages"], strict=True)
        for stage in json.loads(stages or "[]")
    ]


def raw_crm_checks() -> list[AssetChecksDefinition]:
    return [raw_deals_suite]
