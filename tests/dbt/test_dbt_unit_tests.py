"""dbt's unit tests (hand-worked cases in the models' YAML) on both targets.

They type their mocked rows from the real upstream tables, so they run here, on
warehouses where every source is loaded, and not in the production job (where an
optional source may have no tables).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import DBT_PROJECT_DIR, Settings
from tests.conftest import DemoWarehouses

pytestmark = pytest.mark.postgres


def dbt_unit_tests(settings: Settings, scratch: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALES_TRACKER_TARGET": settings.target}
    if settings.postgres is not None:
        pg = settings.postgres
        env |= {
            "SALES_TRACKER_PG_HOST": pg.host,
            "SALES_TRACKER_PG_PORT": str(pg.port),
            "SALES_TRACKER_PG_USER": pg.user,
            "SALES_TRACKER_PG_PASSWORD": pg.password,
            "SALES_TRACKER_PG_DATABASE": pg.database,
        }
    command = [str(Path(sys.executable).parent / "dbt"), "test", "--select", "test_type:unit"]
    command += ["--vars", json.dumps(settings.dbt_vars())]
    command += ["--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")]
    return subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_dbt_unit_tests_pass(demo_warehouses: DemoWarehouses, target: str, tmp_path: Path) -> None:
    settings = getattr(demo_warehouses, target)
    completed = dbt_unit_tests(settings, tmp_path)
    assert completed.returncode == 0, completed.stdout[-6000:]
    # The suite is not empty: the minor-units, eNPS and recipients cases at least.
    assert "test_stg_payments__invoices_minor_to_major_units" in completed.stdout
    assert "ERROR=0" in completed.stdout and "PASS=0 " not in completed.stdout
