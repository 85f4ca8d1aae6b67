"""Every dbt model, snapshot and seed as an asset; dbt tests as asset checks."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetSpec, ResourceParam
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ingest.settings import Settings
from orchestration.asset_keys import model_key, raw_table_key
from orchestration.dbt_project import DBT_PROJECT
from orchestration.resources import WAREHOUSE_POOL


class SalesTrackerDbtTranslator(DagsterDbtTranslator):
    """dbt sources take the raw table keys of the dlt assets; models take ``<schema>/<name>``."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=raw_table_key(props["source_name"], props["name"]))
        schema = props["config"].get("schema") or props["schema"]
        return spec.replace_attributes(
            key=model_key(schema, props["name"]), group_name=f"transform_{schema}"
        )


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=SalesTrackerDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_models(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    settings: ResourceParam[Settings],
) -> Iterator[Any]:
    # Unit tests type their mocked rows from the real upstream tables, which an optional
    # source may lack: they run in the tests (tests/dbt/test_dbt_unit_tests.py), not in the job.
    build = ["build", "--exclude-resource-type", "unit_test"]
    # An explicit target folder: dagster-dbt's default lies inside the dbt project, which an
    # installed package must not write into.
    yield from dbt.cli(
        [*build, "--vars", json.dumps(settings.dbt_vars())],
        context=context,
        target_path=settings.dbt_target_dir / context.run.run_id,
    ).stream()
