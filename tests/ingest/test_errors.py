"""The errors users see say what is wrong and what to do, as the real code paths raise them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingest.api import ApiSession
from ingest.crm import crm_source
from ingest.errors import (
    ApiAuthError,
    ApiError,
    ExportNotFoundError,
    ImapError,
    InvalidFileError,
    SalesTrackerError,
    SettingsError,
    SourceNotConfiguredError,
)
from ingest.files.commission_plan import read_commission_plans
from ingest.files.csv_files import read_csv_file
from ingest.files.source import FX_RATES
from ingest.mail.imap import read_imap
from ingest.payments import payments_source
from ingest.pipeline import make_pipeline
from ingest.settings import ApiCredentials, ImapCredentials, Settings
from orchestration.runner import failure_report, run_job
from orchestration.warehouse import query
from tests.conftest import scratch_settings
from tests.support.hand_world import write_hand_world
from tests.support.ports import free_port

SECRET = "sk_test_never_in_a_message_42"


def user_error(failure: BaseException) -> SalesTrackerError:
    """The error a user is shown inside the wrappers dlt puts around it."""
    error: BaseException | None = failure
    while error is not None and not isinstance(error, SalesTrackerError):
        error = error.__cause__ or error.__context__
    assert error is not None, f"no SalesTrackerError under {failure!r}"
    return error


def count(settings: Settings, rows: str) -> int:
    return int(query(settings, f"select count(*) as n from {rows}")["n"].iloc[0])


def load(settings: Settings, source_name: str, source: Any) -> SalesTrackerError:
    with pytest.raises(PipelineStepFailed) as failure:
        make_pipeline(settings, source_name).run(source)
    return user_error(failure.value)


# --- settings -----------------------------------------------------------------------------


def test_a_malformed_value_names_the_variable_and_the_value(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env({"SALES_TRACKER_MAX_REJECT_RATE": "five percent"})
    message = str(failure.value)
    assert message.startswith("SALES_TRACKER_MAX_REJECT_RATE must be a number")
    assert "'five percent'" in message and "fix or unset it" in message


def test_a_postgres_target_names_every_missing_variable() -> None:
    env = {"SALES_TRACKER_TARGET": "postgres", "SALES_TRACKER_PG_HOST": "127.0.0.1"}
    with pytest.raises(SettingsError) as failure:
        Settings.from_env(env)
    message = str(failure.value)
    for variable in ("_PG_USER", "_PG_PASSWORD", "_PG_DATABASE"):
        assert f"SALES_TRACKER{variable}" in message
    assert "SALES_TRACKER_PG_HOST" not in message.split("needs")[1]


_IMAP = {
    "SALES_TRACKER_IMAP_HOST": "127.0.0.1",
    "SALES_TRACKER_IMAP_USER": "rep",
    "SALES_TRACKER_IMAP_PASSWORD": "pass",
}


@pytest.mark.parametrize(
    ("variable", "raw", "expected", "beside"),
    [
        ("SALES_TRACKER_REPORTING_CURRENCY", "US", "an ISO 4217 currency code", {}),
        ("SALES_TRACKER_REPORTING_CURRENCY", "US$", "an ISO 4217 currency code", {}),
        ("SALES_TRACKER_COMPANY_TIMEZONE", "Asia/Jakata", "an IANA time zone name", {}),
        ("SALES_TRACKER_COMPANY_TIMEZONE", "../etc/passwd", "an IANA time zone name", {}),
        ("SALES_TRACKER_AS_OF_DATE", "2026-13-01", "a date YYYY-MM-DD", {}),
        ("SALES_TRACKER_MAX_REJECT_RATE", "1.5", "a share between 0 and 1", {}),
        ("SALES_TRACKER_DUCKDB_MEMORY_LIMIT", "lots", "a DuckDB memory limit", {}),
        ("SALES_TRACKER_DUCKDB_MEMORY_LIMIT", "512", "a DuckDB memory limit", {}),
        ("SALES_TRACKER_COMPANY_EMAIL_DOMAINS", "example.com,acme", "comma-separated email", {}),
        (
            "SALES_TRACKER_HUBSPOT_URL",
            "api.hubapi.com",
            "an http(s) URL with a host",
            {"SALES_TRACKER_HUBSPOT_TOKEN": "t"},
        ),
        (
            "SALES_TRACKER_STRIPE_URL",
            "ftp://127.0.0.1",
            "an http(s) URL with a host",
            {"SALES_TRACKER_STRIPE_KEY": "k"},
        ),
        ("SALES_TRACKER_IMAP_PORT", "70000", "a port number 1-65535", _IMAP),
        ("SALES_TRACKER_IMAP_TLS", "flase", "true or false", _IMAP),
        ("SALES_TRACKER_TARGET", "sqlite", "one of duckdb, postgres", {}),
    ],
)
def test_a_malformed_environment_value_is_refused_naming_the_variable(
    variable: str, raw: str, expected: str, beside: dict[str, str]
) -> None:
    with pytest.raises(SettingsError) as failure:
        Settings.from_env({**beside, variable: raw})
    message = str(failure.value)
    assert message.startswith(f"{variable} must be {expected}"), message
    # The value as refused (a list of domains: the one that is wrong).
    assert repr(raw.split(",")[-1]) in message


def test_well_formed_values_are_taken() -> None:
    settings = Settings.from_env(
        {
            "SALES_TRACKER_REPORTING_CURRENCY": "eur",
            "SALES_TRACKER_COMPANY_TIMEZONE": "UTC",
            "SALES_TRACKER_MAX_REJECT_RATE": "1",
            "SALES_TRACKER_DUCKDB_MEMORY_LIMIT": "2GiB",
            "SALES_TRACKER_COMPANY_EMAIL_DOMAINS": "example.com, @Example.co.id",
            "SALES_TRACKER_STRIPE_KEY": "k",
            "SALES_TRACKER_STRIPE_URL": "http://127.0.0.1:8765",
        }
    )
    assert settings.reporting_currency == "EUR" and settings.company_timezone == "UTC"
    assert settings.stripe is not None and settings.stripe.base_url == "http://127.0.0.1:8765"


def test_an_override_is_checked_as_the_environment_is() -> None:
    with pytest.raises(SettingsError, match=r"^SALES_TRACKER_MAX_REJECT_RATE must be a share"):
        Settings.from_env({}, max_reject_rate=2.0)
    with pytest.raises(SettingsError, match=r"^SALES_TRACKER_COMPANY_TIMEZONE must be an IANA"):
        Settings.from_env({}).with_overrides(company_timezone="Nowhere/Land")


# --- sources and their folders ------------------------------------------------------------


def test_an_unconfigured_source_names_its_variable_flag_and_api(tmp_path: Path) -> None:
    error = load(scratch_settings(tmp_path), "payments", payments_source())
    assert isinstance(error, SourceNotConfiguredError)
    assert str(error) == (
        "The payments source is not configured: set SALES_TRACKER_PAYMENTS_EXPORT (or pass "
        "--payments-export) to a folder of Stripe JSON Lines files, or "
        "SALES_TRACKER_STRIPE_KEY to read the Stripe API"
    )


def test_a_missing_export_folder_names_it_and_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-export"
    error = load(scratch_settings(tmp_path), "crm", crm_source(missing))
    assert isinstance(error, ExportNotFoundError)
    assert str(error).startswith(f"CRM export folder {missing} does not exist: ")
    assert "set SALES_TRACKER_CRM_EXPORT (or pass --crm-export)" in str(error)


def test_a_missing_export_file_names_it_and_its_object_type(tmp_path: Path) -> None:
    export = write_hand_world(tmp_path / "crm")
    (export / "deals.jsonl").unlink()
    error = load(scratch_settings(tmp_path), "crm", crm_source(export))
    assert isinstance(error, ExportNotFoundError)
    message = str(error)
    assert message.startswith(f"CRM export file {export / 'deals.jsonl'} is missing (deals ")
    assert "add it to the export, or set SALES_TRACKER_CRM_EXPORT" in message


# --- live systems -------------------------------------------------------------------------


class _Refusing(BaseHTTPRequestHandler):
    """A 401 for a wrong key, a 400 with Stripe's error body for anything else."""

    def do_GET(self) -> None:
        wrong_key = self.headers.get("Authorization") != "Bearer right"
        status, body = (
            (401, b'{"error": {"message": "Invalid API Key provided"}}')
            if wrong_key
            else (400, b'{"error": {"message": "No such customer: cus_0"}}')
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def refusing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_key_names_its_variable_never_the_key() -> None:
    with refusing_api() as base_url:
        credentials = ApiCredentials(base_url, SECRET, "SALES_TRACKER_STRIPE_KEY")
        with pytest.raises(ApiAuthError) as failure:
            ApiSession("Stripe", credentials).get_json("/v1/customers", {"limit": 1})
    message = str(failure.value)
    assert message == (
        f"The Stripe API refused the credentials (HTTP 401 at GET {base_url}/v1/customers): "
        "check SALES_TRACKER_STRIPE_KEY"
    )
    assert SECRET not in message


def test_an_api_error_quotes_what_the_api_said() -> None:
    with refusing_api() as base_url:
        credentials = ApiCredentials(base_url, "right", "SALES_TRACKER_STRIPE_KEY")
        with pytest.raises(ApiError) as failure:
            ApiSession("Stripe", credentials).get_json("/v1/customers/cus_0")
    assert not isinstance(failure.value, ApiAuthError)
    message = str(failure.value)
    assert message.startswith(f"The Stripe API answered HTTP 400 at GET {base_url}/v1/customers")
    assert "No such customer: cus_0" in message


def test_an_unreachable_imap_server_names_the_variables_to_check() -> None:
    port = free_port()
    credentials = ImapCredentials("127.0.0.1", port, "rep", SECRET, use_tls=False)
    with pytest.raises(ImapError) as failure:
        next(read_imap(credentials, {}))
    message = str(failure.value)
    assert message.startswith(f"cannot connect to IMAP server 127.0.0.1:{port}: ")
    assert message.endswith("check SALES_TRACKER_IMAP_HOST, _PORT and _TLS")
    assert SECRET not in message


# --- dropped files ------------------------------------------------------------------------


def test_a_csv_off_its_schema_names_the_file_columns_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "fx_rates.csv"
    path.write_text("date,currency,units_per_usd\n2026-01-02,EUR,0.91\n")
    with pytest.raises(InvalidFileError) as failure:
        read_csv_file(path, FX_RATES)
    assert str(failure.value) == (
        f"{path}: missing column(s) currency_code: fix its header line, which must name "
        "date, currency_code, units_per_usd"
    )


def test_plans_sharing_a_name_name_the_file_and_the_plan(tmp_path: Path) -> None:
    plan = (
        "plan: {name}\ncurrency: USD\ncommissionable_base: bookings\npayout_period: month\n"
        "method: flat\ntiers:\n  - {{from: 0, rate: 0.1}}\n"
    )
    path = tmp_path / "commission_plan.yaml"
    names = ("AE", "SDR", "AE")
    path.write_text("---\n".join(plan.format(name=name) for name in names))
    with pytest.raises(InvalidFileError) as failure:
        read_commission_plans(path)
    assert str(failure.value) == (
        f"{path}: more than one plan is named 'AE': give each plan its own name (the plan field)"
    )


# --- quarantine ---------------------------------------------------------------------------


def test_too_many_rejects_name_the_share_the_setting_and_the_fix(tmp_path: Path) -> None:
    export = write_hand_world(tmp_path / "crm", with_malformed=True)
    settings = scratch_settings(tmp_path, crm_export_dir=export, max_reject_rate=0.05)
    result = run_job(settings, "ingest")
    assert not result.success
    check = "check raw_crm/deals:rejects_within_threshold failed (ERROR): "
    line = next(line for line in failure_report(result) if line.startswith(check))
    rejected = count(settings, "raw_crm.rejects where object_type = 'deals'")
    total = rejected + count(settings, "raw_crm.deals")
    assert f"{rejected:,} of {total:,} raw_crm.deals records" in line
    assert "SALES_TRACKER_MAX_REJECT_RATE (5.0%)" in line
    assert "fix the records raw_crm.rejects lists" in line
