"""The `sales-tracker` command as a user runs it."""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from demo.world import generate_world
from tests.conftest import CliDemo
from tests.support.cli import cli_env, run_cli, world_sources


def test_demo_exits_0_and_prints_the_kpi_summary(cli_demo: CliDemo) -> None:
    out = cli_demo.completed.stdout
    assert "daily_refresh succeeded" in out
    assert "Bookings by month (USD, company time zone Asia/Jakarta)" in out
    assert "Top reps in 2026-10, by bookings" in out
    assert "Lead response: median " in out and "Overdue invoices: " in out
    for source in ("crm", "payments", "email", "files"):
        assert f"Quarantined {source} records: none." in out
    assert cli_demo.settings.warehouse_path.exists()


def test_demo_summary_agrees_with_the_ground_truth(cli_demo: CliDemo) -> None:
    out = cli_demo.completed.stdout
    expected = cli_demo.world / "expected"
    last_month = [
        row
        for row in truth_rows(expected, "rep_performance_monthly")
        if row["month"] == "2026-10-01"
    ]
    best = max(last_month, key=lambda row: Decimal(row["bookings_amount"]))
    top_table = out.split("Top reps in 2026-10, by bookings")[1].split("\n\n")[0]
    assert f"{Decimal(best['bookings_amount']):,.2f}" in top_table.splitlines()[2]

    followup = truth_rows(expected, "payment_followup")
    due = sum(Decimal(row["amount_due_amount"]) for row in followup)
    assert f"Overdue invoices: {len(followup):,}, {due:,.2f} USD due" in out

    answered = sorted(
        float(row["response_minutes"])
        for row in truth_rows(expected, "lead_response")
        if row["response_minutes"]
    )
    assert f"Lead response: median {statistics.median(answered) / 60:.1f} h" in out


def truth_rows(expected: Path, name: str) -> list[dict[str, str]]:
    with (expected / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


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
    # The failure report gives the message as written for the user, without its class.
    reported = "- step crm: The CRM source is not configured: set SALES_TRACKER_CRM_EXPORT"
    assert reported in completed.stderr


def test_a_malformed_setting_exits_2_with_the_message_alone(tmp_path: Path) -> None:
    env = cli_env(tmp_path, fiscal_year_start_month="13")
    completed = run_cli(["ingest", "--warehouse", str(tmp_path / "sales.duckdb")], env)
    assert completed.returncode == 2
    assert completed.stderr == (
        "sales-tracker: SALES_TRACKER_FISCAL_YEAR_START_MONTH must be a month number 1-12, "
        "got '13': fix or unset it\n"
    )


def test_the_cli_imports_the_demo_only_in_the_commands_that_use_it() -> None:
    """A deployment's `sales-tracker run` never loads the demo: lint-imports keeps it out of
    the code location, and this keeps the CLI's own imports of it inside its commands."""
    probe = "import sys, orchestration.cli; print([m for m in sys.modules if m[:4] == 'demo'])"
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
