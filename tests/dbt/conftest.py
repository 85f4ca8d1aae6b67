"""A manifest parsed from the working tree, and the KPI page generator that reads it."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType
from typing import Any

import pytest
from dbt.cli.main import dbtRunner

from ingest.settings import DBT_PROJECT_DIR

KPI_PAGE_SCRIPT = DBT_PROJECT_DIR / "scripts" / "kpi_page.py"


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dbt's manifest of the project as it is now (not a stale target/)."""
    scratch = tmp_path_factory.mktemp("dbt_parse")
    result = dbtRunner().invoke(
        [
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(scratch / "target"),
            "--log-path",
            str(scratch / "logs"),
            "--quiet",
        ]
    )
    assert result.success, result.exception
    return json.loads((scratch / "target" / "manifest.json").read_text())


@pytest.fixture(scope="session")
def kpi_page() -> ModuleType:
    """dbt_project/scripts/kpi_page.py, a script beside the dbt project, as a module."""
    spec = importlib.util.spec_from_file_location("kpi_page", KPI_PAGE_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def mart_columns(manifest: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(model name, column) of every column of the models in the `marts` schema."""
    return [
        (node["name"], column)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
        for column in node["columns"].values()
    ]
