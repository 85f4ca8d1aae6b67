"""Checks that the records each source quarantined stay under the configured share."""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    ResourceParam,
    asset_check,
)

from ingest.errors import TooManyRejectsError
from ingest.exports import REJECTS_TABLE
from ingest.pipeline import raw_dataset
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.warehouse import query, table_exists


def quarantine_checks(raw_tables: dict[str, tuple[str, ...]]) -> list[AssetChecksDefinition]:
    return [
        _rejects_check(source_name, table)
        for source_name, tables in raw_tables.items()
        for table in tables
    ]


def _rejects_check(source_name: str, table: str) -> AssetChecksDefinition:
    dataset = raw_dataset(source_name)

    @asset_check(
        asset=raw_table_key(source_name, table),
        name="rejects_within_threshold",
        description=f"Records quarantined in {dataset}.{REJECTS_TABLE} stay under "
        "SALES_TRACKER_MAX_REJECT_RATE.",
        blocking=True,
    )
    def rejects_within_threshold(settings: ResourceParam[Settings]) -> AssetCheckResult:
        rejects = _rejects(settings, dataset, table)
        loaded = int(query(settings, f"select count(*) as n from {dataset}.{table}")["n"].iloc[0])
        total = loaded + len(rejects)
        rate = len(rejects) / total if total else 0.0
        reasons = rejects["reason"].value_counts().head(10)
        passed = rate <= settings.max_reject_rate
        # What to do, shown by the UI and the CLI's failure report.
        advice = None
        if not passed:
            advice = str(
                TooManyRejectsError.share(
                    f"{dataset}.{table}",
                    f"{dataset}.{REJECTS_TABLE}",
                    len(rejects),
                    total,
                    settings.max_reject_rate,
                )
            )
        return AssetCheckResult(
            passed=passed,
            severity=AssetCheckSeverity.ERROR,
            description=advice,
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


def _rejects(settings: Settings, dataset: str, table: str) -> pd.DataFrame:
    if not table_exists(settings, dataset, REJECTS_TABLE):
        return pd.DataFrame({"reason": pd.Series(dtype=str)})
    return query(
        settings,
        f"select reason from {dataset}.{REJECTS_TABLE} where object_type = %s",
        [table],
    )
