"""The `sales-tracker` command as a user runs it."""

from __future__ import annotations

from pathlib import Path

from ingest.demo.world import generate_world
from tests.cli_support import cli_env, run_cli, world_sources


def test_demo_exits_0_and_prints_the_kpi_summary(tmp_path: Path) -> None:
    args = ["demo", "--out", str(tmp_path / "demo"), "--warehouse", str(tmp_path / "sales.duckdb")]
    completed = run_cli(args, cli_env(tmp_path / "dagster_home"))
    assert completed.returncode == 0, completed.stderr[-3000:]
    out = completed.stdout
    assert "daily_refresh succeeded" in out
    assert "Bookings by month (USD, company time zone Asia/Jakarta)" in out
    assert "Top reps in 2026-10" in out
    for source in ("crm", "payments", "email", "files"):
        assert f"Quarantined {source} records: none." in out
    assert (tmp_path / "sales.duckdb").exists()


def test_ingest_loads_every_source_and_counts_the_quarantine(tmp_path: Path) -> None:
    world = generate_world(tmp_path / "world", "xs", 3, dirty_rate=0.2, workers=1)
    env = cli_env(tmp_path, company_email_domains="demo-sales.example", max_reject_rate="0.5")
    completed = run_cli(["ingest", *world_sources(world, tmp_path / "sales.duckdb")], env)
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
    completed = run_cli(["run", "--warehouse", str(tmp_path / "sales.duckdb")], cli_env(tmp_path))
    assert completed.returncode == 1
    assert "set SALES_TRACKER_CRM_EXPORT (or pass --crm-export)" in completed.stderr
