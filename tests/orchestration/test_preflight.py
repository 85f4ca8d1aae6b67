"""A misconfigured run is refused before it creates anything, naming every setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.errors import SettingsError
from ingest.preflight import source_problems
from ingest.settings import Settings
from orchestration.runner import run_job
from tests.conftest import scratch_settings
from tests.support.cli import cli_env, run_cli
from tests.support.hand_world import write_hand_world


def test_every_problem_of_the_sources_is_listed_naming_its_setting(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "deals.jsonl").write_text("")
    (tmp_path / "mail.txt").write_text("not a folder")
    imap = {
        "SALES_TRACKER_IMAP_HOST": "127.0.0.1",
        "SALES_TRACKER_IMAP_USER": "rep",
        "SALES_TRACKER_IMAP_PASSWORD": "pass",
        "SALES_TRACKER_IMAP_CA_FILE": str(tmp_path / "ca.pem"),
    }
    settings = Settings.from_env(
        imap,
        warehouse_path=tmp_path,
        crm_export_dir=partial,
        payments_export_dir=tmp_path / "no-such-export",
        email_dir=tmp_path / "mail.txt",
        files_dir=empty,
    )
    assert source_problems(settings) == [
        f"SALES_TRACKER_CRM_EXPORT (--crm-export): {partial} lacks owners.jsonl, "
        "deal_pipelines.jsonl, which the source reads: add them to the export",
        f"SALES_TRACKER_PAYMENTS_EXPORT (--payments-export): {tmp_path / 'no-such-export'} "
        "does not exist; expected a folder of Stripe JSON Lines files",
        f"SALES_TRACKER_EMAIL_DIR (--email): {tmp_path / 'mail.txt'} is not a folder; "
        "expected a folder holding maildir/, mbox/ and/or eml/",
        f"SALES_TRACKER_FILES_DIR (--files): {empty} has none of fx_rates.csv, quotas.csv, "
        "rep_roster.csv, survey_responses.csv, commission_plan.yaml; expected a folder of "
        "dropped files (fx_rates.csv, ...)",
        "SALES_TRACKER_COMPANY_EMAIL_DOMAINS is not set: the mail source needs the company's "
        "email domains to tell outbound from inbound mail (comma-separated, e.g. example.com)",
        f"SALES_TRACKER_IMAP_CA_FILE: {tmp_path / 'ca.pem'} does not exist; expected the PEM "
        "bundle of the certificate authorities the IMAP server's certificate chains to",
        f"SALES_TRACKER_WAREHOUSE (--warehouse): {tmp_path} is a folder; expected the path of "
        "the DuckDB file (e.g. warehouse/sales.duckdb)",
    ]


def test_sources_holding_what_they_should_pass(tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    (mail / "mbox").mkdir(parents=True)
    files = tmp_path / "files"
    files.mkdir()
    (files / "commission_plan.yaml").write_text("")
    settings = scratch_settings(
        tmp_path,
        crm_export_dir=write_hand_world(tmp_path / "crm"),
        email_dir=mail,
        files_dir=files,
        company_email_domains=("example.com",),
    )
    assert source_problems(settings) == []


def test_run_job_refuses_before_the_warehouse_and_dlt_state_exist(tmp_path: Path) -> None:
    settings = scratch_settings(tmp_path, crm_export_dir=tmp_path / "no-such-export")
    with pytest.raises(SettingsError, match=r"SALES_TRACKER_CRM_EXPORT .* does not exist"):
        run_job(settings, "ingest")
    assert not settings.warehouse_path.parent.exists()


@pytest.mark.parametrize("case", ["missing folder", "folder without a known file", "time zone"])
def test_the_cli_refuses_a_bad_configuration_before_creating_anything(
    case: str, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    settings: dict[str, str] = {}
    if case == "missing folder":
        expected = f"SALES_TRACKER_CRM_EXPORT (--crm-export): {export} does not exist"
    elif case == "folder without a known file":
        export.mkdir()
        (export / "deals.csv").write_text("id\n1\n")  # not what a HubSpot export holds
        expected = f"SALES_TRACKER_CRM_EXPORT (--crm-export): {export} has none of owners.jsonl"
    else:
        write_hand_world(export)
        settings["company_timezone"] = "Asia/Jakata"
        expected = "SALES_TRACKER_COMPANY_TIMEZONE must be an IANA time zone name"
    warehouse = tmp_path / "warehouse" / "sales.duckdb"
    dagster_home = tmp_path / "dagster_home"
    args = ["run", "--crm-export", str(export), "--warehouse", str(warehouse)]
    completed = run_cli(args, cli_env(dagster_home, **settings))
    assert completed.returncode == 2, completed.stderr[-3000:]
    assert completed.stderr.startswith("sales-tracker: ") and expected in completed.stderr
    assert completed.stdout == ""  # not even "Running daily_refresh ..."
    # Nothing was created: no warehouse (nor its folder, where dlt keeps its state) and an
    # empty Dagster home (the test made the folder; the run would write its storage there).
    assert not warehouse.parent.exists()
    assert list(dagster_home.iterdir()) == []
