"""The CRM's raw tables, loaded by dlt: one asset per dlt resource."""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, ResourceParam
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingest.crm import crm_source
from ingest.pipeline import make_pipeline
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.resources import WAREHOUSE_POOL

CRM = "crm"


class RawTableTranslator(DagsterDltTranslator):
    """Names each dlt resource's asset after its raw table, the key dbt's sources use too."""

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name

    def get_asset_spec(self, data: DltResourceTranslatorData) -> Any:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=raw_table_key(self.source_name, data.resource.name),
            deps=[],
            group_name=f"ingest_{self.source_name}",
        )


def build_crm_assets(settings: Settings) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=crm_source(settings.crm_export_dir),
        dlt_pipeline=make_pipeline(settings, CRM),
        name="crm",
        dagster_dlt_translator=RawTableTranslator(CRM),
        pool=WAREHOUSE_POOL,
    )
    def crm_raw_tables(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        settings: ResourceParam[Settings],
    ) -> Iterator[Any]:
        # A fresh source and pipeline per run: dagster-dlt fails every second run that
        # reuses one source object in a process (dagster#34052).
        for result in dlt.run(
            context=context,
            dlt_source=crm_source(settings.crm_export_dir),
            dlt_pipeline=make_pipeline(settings, CRM),
        ):
            rows = (result.metadata or {}).get("rows_loaded")
            loaded = rows.value if rows is not None else 0
            context.log.info(f"{result.asset_key.to_user_string()}: {loaded} rows loaded")
            yield result

    return crm_raw_tables
