"""Checks on the CRM's raw tables, run right after they load and before dbt reads them."""

import json
from collections.abc import Sequence

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    ResourceParam,
    asset_check,
)

from data_quality.runner import run_suite
from data_quality.suites.raw_crm import RAW_DEALS_SUITE, pipeline_stage_key, raw_deals_expectations
from ingest.crm import CRM_OBJECT_TYPES
from ingest.exports import REJECTS_TABLE
from ingest.pipeline import raw_dataset
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.warehouse import query, table_exists

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


def _rejects_check(object_type: str) -> AssetChecksDefinition:
    @asset_check(
        asset=raw_table_key("crm", object_type),
        name="rejects_within_threshold",
        description="Records quarantined in raw_crm.rejects stay under "
        "SALES_TRACKER_MAX_REJECT_RATE.",
        blocking=True,
    )
    def rejects_within_threshold(settings: ResourceParam[Settings]) -> AssetCheckResult:
        rejects = _rejects(settings, object_type)
        loaded = int(
            query(settings, f"select count(*) as n from {RAW_CRM}.{object_type}")["n"].iloc[0]
        )
        total = loaded + len(rejects)
        rate = len(rejects) / total if total else 0.0
        reasons = (
            rejects["reason"].value_counts().head(10) if len(rejects) else pd.Series(dtype=int)
        )
        return AssetCheckResult(
            passed=rate <= settings.max_reject_rate,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rejected": len(rejects),
                "loaded": loaded,
                "reject_rate": rate,
                "max_reject_rate": settings.max_reject_rate,
                "top_reasons": MetadataValue.md(
                    "\n".join(f"- {count} x {reason}" for reason, count in reasons.items())
                    or "none"
                ),
            },
        )

    return rejects_within_threshold


def _rejects(settings: Settings, object_type: str) -> pd.DataFrame:
    if not table_exists(settings, RAW_CRM, REJECTS_TABLE):
        return pd.DataFrame(columns=["reason"])
    return query(
        settings,
        f"select reason from {RAW_CRM}.{REJECTS_TABLE} where object_type = %s",
        [object_type],
    )


def raw_crm_checks() -> Sequence[AssetChecksDefinition]:
    return [
        raw_deals_suite,
        *(_rejects_check(object_type.name) for object_type in CRM_OBJECT_TYPES),
    ]
