"""The `sales-tracker` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).with_name("sales-tracker")


def test_demo_exits_0_and_prints_the_kpi_summary(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SALES_TRACKER_")}
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    (tmp_path / "dagster_home").mkdir()
    completed = subprocess.run(
        [
            str(CLI),
            "demo",
            "--out",
            str(tmp_path / "demo"),
            "--warehouse",
            str(tmp_path / "sales.duckdb"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    assert "daily_refresh succeeded" in out
    assert "Bookings by month (USD, company time zone Asia/Jakarta)" in out
    assert "Top reps in 2026-10" in out
    assert "Quarantined CRM records: none." in out
    assert (tmp_path / "sales.duckdb").exists()


def test_run_without_a_crm_export_names_what_to_set(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SALES_TRACKER_")}
    env["DAGSTER_HOME"] = str(tmp_path)
    completed = subprocess.run(
        [str(CLI), "run", "--warehouse", str(tmp_path / "sales.duckdb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 1
    assert "set SALES_TRACKER_CRM_EXPORT (or pass --crm-export)" in completed.stderr
