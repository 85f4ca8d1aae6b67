"""The one-text rule over dbt's manifest: mart columns take their descriptions from doc blocks.

Each check returns what breaks the rule; the tests after the checks break the rule on a copy
of the manifest to show the check sees it.
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import pytest

from tests.dbt.conftest import mart_columns

pytestmark = pytest.mark.xdist_group("dbt_manifest")

PACKAGE = "sales_tracker"


def _doc_blocks(column: dict[str, Any]) -> set[str]:
    return {name.removeprefix(f"doc.{PACKAGE}.") for name in column.get("doc_blocks", [])}


def undescribed_columns(manifest: dict[str, Any]) -> list[str]:
    return [
        f"{model}.{column['name']}"
        for model, column in mart_columns(manifest)
        if not column["description"].strip()
    ]


def columns_without_doc_block(manifest: dict[str, Any]) -> list[str]:
    """Mart columns whose yml description holds its own text instead of a `doc()`."""
    return [
        f"{model}.{column['name']}"
        for model, column in mart_columns(manifest)
        if not _doc_blocks(column)
    ]


def kpi_columns_without_their_block(manifest: dict[str, Any], kpi_page: ModuleType) -> list[str]:
    """Mart columns carrying a KPI (kpi_page.KPI_COLUMNS) that do not use its block."""
    return [
        f"{model}.{column['name']} needs {kpi_page.KPI_COLUMNS[column['name']]}"
        for model, column in mart_columns(manifest)
        if column["name"] in kpi_page.KPI_COLUMNS
        and kpi_page.KPI_COLUMNS[column["name"]] not in _doc_blocks(column)
    ]


def unknown_kpi_blocks(manifest: dict[str, Any], kpi_page: ModuleType) -> list[str]:
    """Blocks named in KPI_COLUMNS that no doc file defines: a KPI without its definition."""
    defined = {doc["name"] for doc in manifest["docs"].values()}
    return sorted(set(kpi_page.KPI_COLUMNS.values()) - defined)


def unused_kpi_blocks(manifest: dict[str, Any], kpi_page: ModuleType) -> list[str]:
    """KPI blocks no mart column uses and not marked `Planned:`."""
    used = {block for _, column in mart_columns(manifest) for block in _doc_blocks(column)}
    return [
        definition.block
        for section in kpi_page.sections(manifest)
        for definition in section.definitions
        if definition.block.startswith("kpi__")
        and definition.block not in used
        and definition.planned_in is None
    ]


def kpi_blocks_off_the_page(manifest: dict[str, Any], kpi_page: ModuleType) -> list[str]:
    """`kpi__` blocks outside dbt_project/docs/kpis/, which the page would not show."""
    on_page = {d.block for s in kpi_page.sections(manifest) for d in s.definitions}
    return sorted(
        doc["name"]
        for doc in manifest["docs"].values()
        if doc["name"].startswith("kpi__") and doc["name"] not in on_page
    )


def repeated_texts(manifest: dict[str, Any]) -> list[str]:
    """Texts of their own (no doc block) that two columns of the core, intermediate and mart
    models share: a text said twice belongs in a block."""
    columns_by_text: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["config"].get("schema") == "staging":
            continue
        for column in node["columns"].values():
            if not _doc_blocks(column) and column["description"].strip():
                text = " ".join(column["description"].split())
                columns_by_text.setdefault(text, []).append(f"{node['name']}.{column['name']}")
    return sorted(", ".join(sorted(names)) for names in columns_by_text.values() if len(names) > 1)


def unused_blocks(manifest: dict[str, Any]) -> list[str]:
    """Column and convention blocks no model column uses (KPI blocks are checked above)."""
    used = {
        block
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
        for block in _doc_blocks(column)
    }
    return sorted(
        doc["name"]
        for doc in manifest["docs"].values()
        if doc["package_name"] == PACKAGE
        and doc["name"].startswith("column__")
        and doc["name"] not in used
    )


def test_every_mart_column_is_described(manifest: dict[str, Any]) -> None:
    assert len(mart_columns(manifest)) > 100
    assert undescribed_columns(manifest) == []


def test_every_mart_column_description_comes_from_a_doc_block(manifest: dict[str, Any]) -> None:
    assert columns_without_doc_block(manifest) == []


def test_every_kpi_column_uses_its_kpi_block(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    assert unknown_kpi_blocks(manifest, kpi_page) == []
    assert kpi_columns_without_their_block(manifest, kpi_page) == []


def test_every_kpi_block_is_used_or_planned(manifest: dict[str, Any], kpi_page: ModuleType) -> None:
    assert unused_kpi_blocks(manifest, kpi_page) == []
    assert kpi_blocks_off_the_page(manifest, kpi_page) == []


def test_no_text_is_said_twice(manifest: dict[str, Any]) -> None:
    assert repeated_texts(manifest) == []
    assert unused_blocks(manifest) == []


def test_a_rendered_description_carries_the_block_text(manifest: dict[str, Any]) -> None:
    definition = manifest["docs"][f"doc.{PACKAGE}.kpi__win_rate"]["block_contents"]
    for model in ("mart_rep_performance_monthly", "mart_team_performance_monthly"):
        column = manifest["nodes"][f"model.{PACKAGE}.{model}"]["columns"]["win_rate"]
        assert column["description"].strip() == definition.strip()


# The checks can fail: each rule broken once on a copy of the manifest.


def _column(manifest: dict[str, Any], model: str, column: str) -> dict[str, Any]:
    return manifest["nodes"][f"model.{PACKAGE}.{model}"]["columns"][column]


def test_an_empty_description_is_reported(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    _column(broken, "mart_ar_aging", "open_invoices")["description"] = " "
    assert undescribed_columns(broken) == ["mart_ar_aging.open_invoices"]


def test_a_text_of_its_own_is_reported(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    column = _column(broken, "mart_revenue_monthly", "dso_days")
    column["description"], column["doc_blocks"] = "Days sales outstanding.", []
    assert columns_without_doc_block(broken) == ["mart_revenue_monthly.dso_days"]


def test_a_kpi_column_on_another_block_is_reported(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    broken = copy.deepcopy(manifest)
    _column(broken, "mart_team_performance_monthly", "win_rate")["doc_blocks"] = [
        f"doc.{PACKAGE}.column__month"
    ]
    assert kpi_columns_without_their_block(broken, kpi_page) == [
        "mart_team_performance_monthly.win_rate needs kpi__win_rate"
    ]


def test_a_kpi_without_a_doc_block_is_reported(
    manifest: dict[str, Any], kpi_page: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kpi_page.KPI_COLUMNS, "churn_rate", "kpi__churn")
    assert unknown_kpi_blocks(manifest, kpi_page) == ["kpi__churn"]


def test_an_unused_unplanned_kpi_block_is_reported(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    broken = copy.deepcopy(manifest)
    for _, column in mart_columns(broken):
        column["doc_blocks"] = [b for b in column["doc_blocks"] if not b.endswith(".kpi__dso")]
    assert unused_kpi_blocks(broken, kpi_page) == ["kpi__dso"]


def test_a_kpi_block_outside_the_kpi_docs_is_reported(
    manifest: dict[str, Any], kpi_page: ModuleType
) -> None:
    broken = copy.deepcopy(manifest)
    stray = {**broken["docs"][f"doc.{PACKAGE}.column__month"], "name": "kpi__stray"}
    broken["docs"][f"doc.{PACKAGE}.kpi__stray"] = stray
    assert kpi_blocks_off_the_page(broken, kpi_page) == ["kpi__stray"]


def test_a_repeated_text_is_reported(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    for model in ("fct_deals", "fct_deal_stage_events"):
        column = _column(broken, model, "deal_id")
        column["description"], column["doc_blocks"] = "HubSpot deal id.", []
    assert repeated_texts(broken) == ["fct_deal_stage_events.deal_id, fct_deals.deal_id"]


def test_an_unused_column_block_is_reported(manifest: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    for _, column in mart_columns(broken):
        column["doc_blocks"] = [b for b in column["doc_blocks"] if not b.endswith(".column__month")]
    assert unused_blocks(broken) == ["column__month"]
