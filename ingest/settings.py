"""The one place that knows paths, targets and tunables.

Every value comes from an environment variable (documented in the README) with a
default that runs the embedded demo: a DuckDB file under ``warehouse/``. Secrets are
read from the environment here and never written anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.errors import SettingsError
from ingest.limits import RecordLimits

# The folder holding these packages: the repo in a checkout, site-packages once installed.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
# The wheel carries the dbt project (with its manifest) and dagster.yaml in the orchestration
# package (see pyproject.toml); a checkout uses the repo's own.
_BUNDLED = PROJECT_ROOT if IN_CHECKOUT else PROJECT_ROOT / "orchestration" / "bundled"
DBT_PROJECT_DIR = _BUNDLED / "dbt_project"
DAGSTER_YAML = _BUNDLED / "dagster.yaml"
HUBSPOT_URL = "https://api.hubapi.com"
STRIPE_URL = "https://api.stripe.com"


def state_root() -> Path:
    """Where the warehouse, the Dagster home, the demo world and dbt's artifacts go unless
    configured: the checkout's git-ignored folders (as the README's commands expect), else
    the working directory, for nothing is ever written into an installed package."""
    return PROJECT_ROOT if IN_CHECKOUT else Path.cwd().resolve()


def default_warehouse() -> Path:
    return state_root() / "warehouse" / "sales.duckdb"


def default_dagster_home() -> Path:
    return state_root() / ".dagster"


def default_demo_dir() -> Path:
    return state_root() / "warehouse" / "demo_export"


def default_dbt_target_dir() -> Path:
    """dbt's artifacts (compiled SQL, run results, logs): beside the repo's manifest in a
    checkout, else under the working directory."""
    return DBT_PROJECT_DIR / "target" if IN_CHECKOUT else state_root() / "dbt_target"


Target = Literal["duckdb", "postgres"]
TARGETS: tuple[Target, ...] = ("duckdb", "postgres")


@dataclass(frozen=True)
class PostgresCredentials:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    database: str

    def dlt_credentials(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "username": self.user,
            "password": self.password,
            "database": self.database,
        }


@dataclass(frozen=True)
class ApiCredentials:
    """A live API: its base URL and secret, and the variable that holds the secret (named
    in errors, never the secret itself)."""

    base_url: str
    secret: str = field(repr=False)
    secret_variable: str
    # How long to wait for an answer (SALES_TRACKER_API_TIMEOUT_SECONDS).
    timeout_seconds: float = 30.0
    # Tries of one request that fails for a reason retrying can fix, before the run fails
    # (SALES_TRACKER_API_MAX_ATTEMPTS).
    max_attempts: int = 6


@dataclass(frozen=True)
class ImapCredentials:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    use_tls: bool = True
    folders: tuple[str, ...] = ("INBOX",)
    # CA bundle the server's certificate must chain to; None: the system's trust store.
    ca_file: Path | None = None


@dataclass(frozen=True)
class Settings:
    target: Target = "duckdb"
    warehouse_path: Path = field(default_factory=default_warehouse)
    # dbt writes each invocation's target folder (artifacts and logs) under it.
    dbt_target_dir: Path = field(default_factory=default_dbt_target_dir)
    postgres: PostgresCredentials | None = None
    crm_export_dir: Path | None = None
    payments_export_dir: Path | None = None
    # A Maildir tree, a folder of mbox files and/or .eml files (see ingest/mail).
    email_dir: Path | None = None
    files_dir: Path | None = None
    # Live APIs, used for a source when its export folder is not given.
    hubspot: ApiCredentials | None = None
    stripe: ApiCredentials | None = None
    imap: ImapCredentials | None = None
    # Mail from these domains is the company's own: it tells outbound from inbound.
    company_email_domains: tuple[str, ...] = ()
    reporting_currency: str = "USD"
    company_timezone: str = "Asia/Jakarta"
    fiscal_year_start_month: int = 1
    # The day open items (receivables, overdue invoices, open pipeline) are reported as
    # of; None: today in the company time zone.
    as_of_date: date | None = None
    # Share of a source's records that may be quarantined before the load is failed.
    max_reject_rate: float = 0.05
    # DuckDB's memory while loading (it spills to disk beyond it); DuckDB syntax.
    duckdb_memory_limit: str = "512MB"
    # How long a run waits for a live run holding the warehouse pool before giving up.
    run_wait_seconds: float = 600.0
    # How large one record of any source may be before it is quarantined (ingest/limits.py).
    record_limits: RecordLimits = field(default_factory=RecordLimits)

    def __post_init__(self) -> None:
        # Every Settings, from the environment or with a CLI flag's override, is checked
        # here: a malformed value fails before anything is created, naming its variable.
        _check(self)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        target = env.get("SALES_TRACKER_TARGET", "duckdb")
        crm_export = env.get("SALES_TRACKER_CRM_EXPORT")
        # How long an API call waits for its answer; a real slow answer must not be cut.
        calls = {
            "timeout_seconds": _seconds(
                env, "SALES_TRACKER_API_TIMEOUT_SECONDS", 30.0, zero_allowed=False
            ),
            "max_attempts": _size(env, "SALES_TRACKER_API_MAX_ATTEMPTS", 6),
        }
        settings = cls(
            target=target,  # type: ignore[arg-type]
            warehouse_path=_absolute(env.get("SALES_TRACKER_WAREHOUSE")) or default_warehouse(),
            postgres=_postgres_from_env(env) if target == "postgres" else None,
            crm_export_dir=_absolute(crm_export),
            payments_export_dir=_absolute(env.get("SALES_TRACKER_PAYMENTS_EXPORT")),
            email_dir=_absolute(env.get("SALES_TRACKER_EMAIL_DIR")),
            files_dir=_absolute(env.get("SALES_TRACKER_FILES_DIR")),
            hubspot=_api(
                env, "SALES_TRACKER_HUBSPOT_TOKEN", "SALES_TRACKER_HUBSPOT_URL", HUBSPOT_URL, calls
            ),
            stripe=_api(
                env, "SALES_TRACKER_STRIPE_KEY", "SALES_TRACKER_STRIPE_URL", STRIPE_URL, calls
            ),
            imap=_imap_from_env(env),
            company_email_domains=_names(env.get("SALES_TRACKER_COMPANY_EMAIL_DOMAINS", "")),
            reporting_currency=(env.get("SALES_TRACKER_REPORTING_CURRENCY") or "USD").upper(),
            company_timezone=env.get("SALES_TRACKER_COMPANY_TIMEZONE") or "Asia/Jakarta",
            fiscal_year_start_month=_month(env, "SALES_TRACKER_FISCAL_YEAR_START_MONTH"),
            as_of_date=_date(env, "SALES_TRACKER_AS_OF_DATE"),
            max_reject_rate=_float(env, "SALES_TRACKER_MAX_REJECT_RATE", 0.05),
            duckdb_memory_limit=env.get("SALES_TRACKER_DUCKDB_MEMORY_LIMIT") or "512MB",
            run_wait_seconds=_seconds(env, "SALES_TRACKER_RUN_WAIT_SECONDS", 600.0),
            record_limits=_record_limits(env),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some values replaced; ``None`` values leave the setting as it is."""
        given = {key: value for key, value in overrides.items() if value is not None}
        for key in (
            "warehouse_path",
            "crm_export_dir",
            "payments_export_dir",
            "email_dir",
            "files_dir",
        ):
            if key in given:
                given[key] = _absolute(str(given[key]))
        return replace(self, **given)

    @property
    def state_dir(self) -> Path:
        """Where dlt keeps pipeline state between runs (also restored from the destination)."""
        return self.warehouse_path.parent / "dlt_pipelines"

    @property
    def dbt_target(self) -> str:
        return self.target

    def dbt_vars(self) -> dict[str, str]:
        """Values handed to every dbt invocation as ``--vars``; read by profiles and models."""
        return {
            "warehouse_path": str(self.warehouse_path),
            "reporting_currency": self.reporting_currency,
            "company_timezone": self.company_timezone,
            "fiscal_year_start_month": str(self.fiscal_year_start_month),
            "as_of_date": self.as_of_date.isoformat() if self.as_of_date else "",
        }

    def describe(self) -> str:
        """A one-line, secret-free description of where data goes."""
        if self.target == "postgres" and self.postgres:
            pg = self.postgres
            return f"postgres {pg.user}@{pg.host}:{pg.port}/{pg.database}"
        return f"duckdb {self.warehouse_path}"


def _absolute(value: str | None) -> Path | None:
    if not value:
        return None
    return Path(value).expanduser().resolve()


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise SettingsError.malformed(name, "a number", raw) from error


def _seconds(env: Mapping[str, str], name: str, default: float, zero_allowed: bool = True) -> float:
    seconds = _float(env, name, default)
    # Comparisons that also refuse nan.
    if not (seconds >= 0 if zero_allowed else seconds > 0):
        shape = "a number of seconds, 0 or more" if zero_allowed else "a number of seconds above 0"
        raise SettingsError.malformed(name, shape, env[name])
    return seconds


# Record size limits (SALES_TRACKER_MAX_*): one block, see ingest/limits.py.
def _record_limits(env: Mapping[str, str]) -> RecordLimits:
    defaults = RecordLimits()
    return RecordLimits(
        record_bytes=_size(env, "SALES_TRACKER_MAX_RECORD_BYTES", defaults.record_bytes),
        field_chars=_size(env, "SALES_TRACKER_MAX_FIELD_CHARS", defaults.field_chars),
        header_bytes=_size(env, "SALES_TRACKER_MAX_HEADER_BYTES", defaults.header_bytes),
    )


def _size(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError.malformed(name, "a whole number above 0", raw)
    return int(raw)


def _month(env: Mapping[str, str], name: str) -> int:
    raw = env.get(name) or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 12:
        raise SettingsError.malformed(name, "a month number 1-12", raw)
    return int(raw)


def _date(env: Mapping[str, str], name: str) -> date | None:
    raw = env.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise SettingsError.malformed(name, "a date YYYY-MM-DD", raw) from error


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if not raw:
        return default
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise SettingsError.malformed(name, "true or false", raw)


def _postgres_from_env(env: Mapping[str, str]) -> PostgresCredentials:
    required = [
        "SALES_TRACKER_PG_HOST",
        "SALES_TRACKER_PG_USER",
        "SALES_TRACKER_PG_PASSWORD",
        "SALES_TRACKER_PG_DATABASE",
    ]
    missing = [name for name in required if not env.get(name)]
    if missing:
        raise SettingsError.missing(
            "SALES_TRACKER_TARGET=postgres",
            missing,
            "the PostgreSQL destination requires a password even with trust auth",
        )
    port = env.get("SALES_TRACKER_PG_PORT", "5432")
    if not port.isdigit():
        raise SettingsError.malformed("SALES_TRACKER_PG_PORT", "a port number", port)
    return PostgresCredentials(
        host=env["SALES_TRACKER_PG_HOST"],
        port=int(port),
        user=env["SALES_TRACKER_PG_USER"],
        password=env["SALES_TRACKER_PG_PASSWORD"],
        database=env["SALES_TRACKER_PG_DATABASE"],
    )


def _names(raw: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in raw.split(",") if name.strip())


def _api(
    env: Mapping[str, str],
    secret_variable: str,
    url_variable: str,
    default_url: str,
    calls: dict[str, Any],
) -> ApiCredentials | None:
    secret = env.get(secret_variable)
    if not secret:
        return None
    url = env.get(url_variable) or default_url
    return ApiCredentials(url, secret, secret_variable, **calls)


def _imap_from_env(env: Mapping[str, str]) -> ImapCredentials | None:
    host = env.get("SALES_TRACKER_IMAP_HOST")
    if not host:
        return None
    missing = [
        name
        for name in ("SALES_TRACKER_IMAP_USER", "SALES_TRACKER_IMAP_PASSWORD")
        if not env.get(name)
    ]
    if missing:
        raise SettingsError.missing("SALES_TRACKER_IMAP_HOST", missing)
    use_tls = _flag(env, "SALES_TRACKER_IMAP_TLS", default=True)
    port = env.get("SALES_TRACKER_IMAP_PORT", "993" if use_tls else "143")
    if not port.isdigit():
        raise SettingsError.malformed("SALES_TRACKER_IMAP_PORT", "a port number", port)
    return ImapCredentials(
        host=host,
        port=int(port),
        user=env["SALES_TRACKER_IMAP_USER"],
        password=env["SALES_TRACKER_IMAP_PASSWORD"],
        use_tls=use_tls,
        folders=tuple(
            name.strip()
            for name in env.get("SALES_TRACKER_IMAP_FOLDERS", "INBOX").split(",")
            if name.strip()
        ),
        ca_file=_absolute(env.get("SALES_TRACKER_IMAP_CA_FILE")),
    )


# --- checks of the values, wherever they came from ----------------------------------------
# One path for the environment and the CLI's overrides: Settings.__post_init__ runs these, so
# a malformed value is refused before anything is created. A value read from the
# environment is parsed above (a number, a date); here its range and shape are checked.

CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# A DNS label: letters, digits and inner hyphens (international names in their A-label form).
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def _check(settings: Settings) -> None:
    if settings.target not in TARGETS:
        raise SettingsError.malformed(
            "SALES_TRACKER_TARGET", f"one of {', '.join(TARGETS)}", settings.target
        )
    if not CURRENCY_CODE.fullmatch(settings.reporting_currency):
        raise SettingsError.malformed(
            "SALES_TRACKER_REPORTING_CURRENCY",
            "an ISO 4217 currency code of three letters (e.g. USD)",
            settings.reporting_currency,
        )
    if not _is_time_zone(settings.company_timezone):
        raise SettingsError.malformed(
            "SALES_TRACKER_COMPANY_TIMEZONE",
            "an IANA time zone name (e.g. Asia/Jakarta, UTC)",
            settings.company_timezone,
        )
    if not 1 <= settings.fiscal_year_start_month <= 12:
        raise SettingsError.malformed(
            "SALES_TRACKER_FISCAL_YEAR_START_MONTH",
            "a month number 1-12",
            str(settings.fiscal_year_start_month),
        )
    if not 0 <= settings.max_reject_rate <= 1:  # also refuses nan
        raise SettingsError.malformed(
            "SALES_TRACKER_MAX_REJECT_RATE",
            "a share between 0 and 1 (e.g. 0.05 for 5%)",
            str(settings.max_reject_rate),
        )
    if not _is_memory_limit(settings.duckdb_memory_limit):
        raise SettingsError.malformed(
            "SALES_TRACKER_DUCKDB_MEMORY_LIMIT",
            "a DuckDB memory limit such as 512MB or 2GiB",
            settings.duckdb_memory_limit,
        )
    if not settings.run_wait_seconds >= 0:
        raise SettingsError.malformed(
            "SALES_TRACKER_RUN_WAIT_SECONDS",
            "a number of seconds, 0 or more",
            str(settings.run_wait_seconds),
        )
    for domain in settings.company_email_domains:
        if not _is_domain(domain):
            raise SettingsError.malformed(
                "SALES_TRACKER_COMPANY_EMAIL_DOMAINS",
                "comma-separated email domains (e.g. example.com,example.co.id)",
                domain,
            )
    for api, variable in ((settings.hubspot, "HUBSPOT_URL"), (settings.stripe, "STRIPE_URL")):
        if api is not None and not _is_http_url(api.base_url):
            raise SettingsError.malformed(
                f"SALES_TRACKER_{variable}",
                "an http(s) URL with a host (e.g. https://api.example.com)",
                api.base_url,
            )
    if settings.postgres is not None:
        _check_port("SALES_TRACKER_PG_PORT", settings.postgres.port)
    if settings.imap is not None:
        _check_port("SALES_TRACKER_IMAP_PORT", settings.imap.port)
        if not settings.imap.folders:
            raise SettingsError.malformed(
                "SALES_TRACKER_IMAP_FOLDERS", "comma-separated folder names (e.g. INBOX)", ""
            )


def _check_port(variable: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise SettingsError.malformed(variable, "a port number 1-65535", str(port))


def _is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not a zone key at all
        return False
    return True


@cache
def _is_memory_limit(value: str) -> bool:
    """Whether DuckDB takes ``value`` as its memory limit: asked of DuckDB itself, whose
    units and spellings (MB, GiB, 80%, ...) are the rule."""
    import duckdb  # here: settings are read by commands that never open DuckDB

    with duckdb.connect() as connection:
        try:
            connection.execute(f"SET memory_limit = '{value.replace(chr(39), chr(39) * 2)}'")
        except duckdb.Error:
            return False
    return True


def _is_domain(domain: str) -> bool:
    labels = domain.removeprefix("@").split(".")
    return len(labels) >= 2 and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
