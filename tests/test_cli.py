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
    for source in ("crm", "payments", "mail", "files"):
        assert f"Quarantined {source} records: none." in out
    assert (tmp_path / "sales.duckdb").exists()


def test_ingest_loads_every_source_and_counts_the_quarantine(tmp_path: Path) -> None:
    from ingest.demo.world import generate_world

    world = generate_world(tmp_path / "world", "xs", 3, dirty_rate=0.2, workers=1)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SALES_TRACKER_")}
    env["DAGSTER_HOME"] = str(tmp_path)
    env["SALES_TRACKER_COMPANY_EMAIL_DOMAINS"] = "demo-sales.example"
    env["SALES_TRACKER_MAX_REJECT_RATE"] = "0.5"
    completed = subprocess.run(
        [
            str(CLI),
            "ingest",
            *("--crm-export", str(world.crm_dir)),
            *("--payments-export", str(world.payments_dir)),
            *("--email", str(world.mail_dir)),
            *("--files", str(world.files_dir)),
            *("--warehouse", str(tmp_path / "sales.duckdb")),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    assert "ingest succeeded" in out and "daily_refresh" not in out
    held = {
        line.split()[0]: int(line.split()[1].replace(",", ""))
        for line in out.splitlines()
        if line.startswith("raw_") and len(line.split()) == 2
    }
    assert held["raw_crm.deals"] == world.counts["deals"] - world.dirty_counts["deals"]
    assert held["raw_files.quotas"] == world.counts["quotas"] - world.dirty_counts["quotas"]
    assert held["raw_payments.invoices"] == world.counts["invoices"] - world.dirty_counts.get(
        "invoices", 0
    )
    for source, kinds in (("crm", ("deals", "calls")), ("files", ("quotas", "fx_rates"))):
        line = next(x for x in out.splitlines() if x.startswith(f"Quarantined {source} records:"))
        for kind in kinds:
            assert f"{world.dirty_counts[kind]:,} {kind}" in line, line


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
