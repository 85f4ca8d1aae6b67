"""Raw tables loaded by dlt: one asset per dlt resource, one multi-asset per source."""

from collections.abc import Callable, Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, ResourceParam
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource

from ingest.crm import CRM_OBJECT_TYPES, crm_source
from ingest.files import FILE_TABLES, files_source
from ingest.pipeline import make_pipeline
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.resources import WAREHOUSE_POOL

SourceFactory = Callable[[Settings], DltSource]

# Each source system, how to build its dlt source from the settings, and its tables.
SOURCES: dict[str, SourceFactory] = {
    "crm": lambda settings: crm_source(settings.crm_export_dir),
    "files": lambda settings: files_source(settings.files_dir),
}
RAW_TABLES: dict[str, tuple[str, ...]] = {
    "crm": tuple(object_type.name for object_type in CRM_OBJECT_TYPES),
    "files": FILE_TABLES,
}


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


def build_ingestion_assets(settings: Settings) -> list[AssetsDefinition]:
    return [_source_assets(settings, name, factory) for name, factory in SOURCES.items()]


def _source_assets(settings: Settings, name: str, make_source: SourceFactory) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=make_source(settings),
        dlt_pipeline=make_pipeline(settings, name),
        name=name,
        dagster_dlt_translator=RawTableTranslator(name),
        pool=WAREHOUSE_POOL,
    )
    def raw_tables(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        settings: ResourceParam[Settings],
    ) -> Iterator[Any]:
        # A fresh source and pipeline per run: dagster-dlt fails every second run that
        # reuses one source object in a process (dagster#34052).
        for result in dlt.run(
            context=context,
            dlt_source=make_source(settings),
            dlt_pipeline=make_pipeline(settings, name),
        ):
            rows = (result.metadata or {}).get("rows_loaded")
            loaded = rows.value if rows is not None else 0
            context.log.info(f"{result.asset_key.to_user_string()}: {loaded} rows loaded")
            yield result

    return raw_tables
