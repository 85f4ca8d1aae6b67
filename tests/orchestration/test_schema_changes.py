"""Source schema changes through the real Dagster dlt assets: a new field lands as a new
column and is reported; a field whose type changes fails the load, naming it."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from ingest.settings import Settings
from orchestration.assets.ingestion import build_ingestion_assets
from orchestration.resources import build_resources
from orchestration.warehouse import query
from tests.conftest import scratch_settings
from tests.support.hand_world import write_hand_world


def load_crm(settings: Settings) -> dg.ExecuteInProcessResult:
    [crm_assets] = [a for a in build_ingestion_assets(settings) if a.node_def.name == "crm"]
    return dg.materialize([crm_assets], resources=build_resources(settings), raise_on_error=False)


def add_owner_field(export: Path, name: str, value: object) -> None:
    path = export / "owners.jsonl"
    owners = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({**o, name: value}) + "\n" for o in owners))


def schema_change(result: dg.ExecuteInProcessResult, key: str) -> str | None:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == key:
            metadata = event.materialization.metadata
            return metadata["schema_change"].value if "schema_change" in metadata else None
    raise AssertionError(f"{key} was not materialized")


def test_a_new_field_is_a_new_column_and_a_type_change_fails(tmp_path: Path) -> None:
    export = write_hand_world(tmp_path / "crm")
    settings = scratch_settings(tmp_path, crm_export_dir=export)
    first = load_crm(settings)
    assert first.success
    assert schema_change(first, "raw_crm/owners") == "new table"

    add_owner_field(export, "department", "Sales")
    second = load_crm(settings)
    assert second.success
    assert schema_change(second, "raw_crm/owners") == "new columns: department"
    assert schema_change(second, "raw_crm/deals") is None
    departments = query(settings, "select distinct department from raw_crm.owners")
    assert departments["department"].tolist() == ["Sales"]

    add_owner_field(export, "department", 42)
    third = load_crm(settings)
    assert not third.success
    [failure] = third.get_step_failure_events()
    message = str(failure.step_failure_data.error)
    assert "department" in message and "owners" in message and "frozen" in message
    # The failed load changed nothing: the column keeps its type and its values.
    departments = query(settings, "select distinct department from raw_crm.owners")
    assert departments["department"].tolist() == ["Sales"]
