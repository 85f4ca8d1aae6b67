"""Raw tables loaded by dlt: one asset per dlt resource, one multi-asset per source."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, ResourceParam
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt import Pipeline
from dlt.extract.source import DltSource

from ingest.crm import CRM_OBJECT_TYPES, crm_source
from ingest.files import FILE_TABLES, files_source
from ingest.mail import MAIL_TABLES, mail_source
from ingest.payments import PAYMENTS_TABLES, payments_source
from ingest.pipeline import make_pipeline, raw_dataset
from ingest.settings import Settings
from orchestration.asset_keys import raw_table_key
from orchestration.resources import WAREHOUSE_POOL

SourceFactory = Callable[[Settings], DltSource]


@dataclass(frozen=True)
class SourceSpec:
    """A source system: how to build its dlt source, its raw tables, and whether these
    settings configure it. The CRM is always part of the job (unconfigured, it fails
    naming what to set); payments and email join it once configured."""

    name: str
    make_source: SourceFactory
    tables: tuple[str, ...]
    is_configured: Callable[[Settings], bool] = lambda settings: True


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        "crm",
        lambda settings: crm_source(
            settings.crm_export_dir, settings.hubspot, settings.record_limits
        ),
        tuple(object_type.name for object_type in CRM_OBJECT_TYPES),
    ),
    SourceSpec(
        "payments",
        lambda settings: payments_source(
            settings.payments_export_dir, settings.stripe, limits=settings.record_limits
        ),
        PAYMENTS_TABLES,
        lambda settings: bool(settings.payments_export_dir or settings.stripe),
    ),
    SourceSpec(
        "email",
        lambda settings: mail_source(
            settings.email_dir,
            settings.imap,
            settings.company_email_domains,
            settings.record_limits,
        ),
        MAIL_TABLES,
        lambda settings: bool(settings.email_dir or settings.imap),
    ),
    # Always part of the job: an unset folder or a missing file leaves its table empty.
    SourceSpec(
        "files",
        lambda settings: files_source(settings.files_dir, settings.record_limits),
        FILE_TABLES,
    ),
)


# New columns evolve the raw tables (and are reported); a column whose type changes
# fails the load naming the table and column instead of being coerced.
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def schema_changes(pipeline: Pipeline) -> dict[str, str]:
    """What the last load added to each table's schema, in words: a new table, or the
    columns it gained."""
    trace = pipeline.last_trace
    info = trace.last_load_info if trace else None
    changes: dict[str, str] = {}
    for package in info.load_packages if info else []:
        for table, update in package.schema_update.items():
            added = sorted(c for c in update.get("columns", {}) if not c.startswith("_dlt"))
            if table.startswith("_dlt") or not added:
                continue
            schema = pipeline.schemas[package.schema_name]
            existing = schema.get_table_columns(table, include_incomplete=True)
            if set(added) >= {c for c in existing if not c.startswith("_dlt")}:
                changes[table] = "new table"
            else:
                changes[table] = "new columns: " + ", ".join(added)
    return changes


def configured_sources(settings: Settings) -> tuple[SourceSpec, ...]:
    return tuple(spec for spec in SOURCES if spec.is_configured(settings))


def raw_tables_by_source(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The raw tables of the configured sources, by source name."""
    return {spec.name: spec.tables for spec in configured_sources(settings)}


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
    return [
        _source_assets(settings, spec.name, spec.make_source)
        for spec in configured_sources(settings)
    ]


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
        pipeline = make_pipeline(settings, name)
        results = list(
            dlt.run(
                context=context,
                dlt_source=make_source(settings),
                dlt_pipeline=pipeline,
                schema_contract=SCHEMA_CONTRACT,
            )
        )
        changes = schema_changes(pipeline)
        for result in results:
            table = result.asset_key.path[-1]
            rows = (result.metadata or {}).get("rows_loaded")
            loaded = rows.value if rows is not None else 0
            context.log.info(f"{result.asset_key.to_user_string()}: {loaded} rows loaded")
            if table in changes:
                log = context.log.info if changes[table] == "new table" else context.log.warning
                log(f"{raw_dataset(name)}.{table}: {changes[table]}")
                result = MaterializeResult(
                    asset_key=result.asset_key,
                    metadata={**(result.metadata or {}), "schema_change": changes[table]},
                )
            yield result

    return raw_tables
