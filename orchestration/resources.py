"""Resources, configured once from the settings and shared by every asset."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliResource
from dagster_dlt import DagsterDltResource

from ingest.settings import Settings
from orchestration.dbt_project import DBT_PROJECT

# Every asset that writes the warehouse runs in this pool, sized 1 in dagster.yaml:
# DuckDB admits one writer per file.
WAREHOUSE_POOL = "warehouse"


def dbt_executable() -> str:
    """The dbt of this environment, whether or not its bin folder is on PATH."""
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def build_resources(settings: Settings) -> dict[str, Any]:
    return {
        "settings": settings,
        "dlt": DagsterDltResource(),
        "dbt": DbtCliResource(
            project_dir=DBT_PROJECT,
            target=settings.dbt_target,
            dbt_executable=dbt_executable(),
        ),
    }
