"""Shared fixtures: settings pointing at a scratch warehouse, and a real PostgreSQL server."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.world import WorldSummary, generate_world
from demo.world.org import REP_EMAIL_DOMAIN
from demo.world.scales import WORLD_LAST_DAY
from ingest.settings import Settings
from orchestration.runner import failure_report, run_daily_refresh
from tests.support.cli import cli_env, run_cli
from tests.support.postgres_server import PostgresServer, find_server_binaries, running_postgres

# Tests sharing a warehouse fixture run on one xdist worker (`make test` runs
# `pytest --dist loadgroup`), so each warehouse is built once, not once per worker.
SHARED_WAREHOUSE_GROUPS = {
    "demo_warehouses": "xs_demo_world",
    "cli_demo": "s_cli_demo",
    "hand_world_run": "hand_world",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, group in SHARED_WAREHOUSE_GROUPS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
                break


def scratch_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated from the caller's environment, writing under ``tmp_path``."""
    return Settings.from_env(
        env={}, warehouse_path=tmp_path / "warehouse" / "sales.duckdb", **overrides
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = find_server_binaries()
    if binaries is None:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the "
            "Debian package postgresql, as .ci/run does"
        )
    with running_postgres(binaries) as server:
        yield server


@dataclass(frozen=True)
class DemoWarehouses:
    """One xs world with every source, built on DuckDB and on PostgreSQL."""

    world: WorldSummary
    duckdb: Settings
    postgres: Settings


@pytest.fixture(scope="session")
def demo_warehouses(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> DemoWarehouses:
    """One xs demo world with every source, run through daily_refresh on DuckDB and on
    PostgreSQL (in a database of its own), as of the world's last day. The world carries
    malformed records beside its good ones (2% per object type) for the quarantine."""
    tmp_path = tmp_path_factory.mktemp("demo_warehouses")
    world = generate_world(tmp_path / "world", "xs", seed=11, dirty_rate=0.02, workers=1)
    sources = {
        "crm_export_dir": world.crm_dir,
        "payments_export_dir": world.payments_dir,
        "email_dir": world.mail_dir,
        "files_dir": world.files_dir,
        "company_email_domains": (REP_EMAIL_DOMAIN,),
        "as_of_date": WORLD_LAST_DAY,
        # A few records of a small object type are a large share of it.
        "max_reject_rate": 0.25,
    }
    duckdb_settings = scratch_settings(tmp_path, **sources)
    result = run_daily_refresh(duckdb_settings)
    assert result.success, failure_report(result)

    server = postgres_server.new_database("demo")
    with pytest.MonkeyPatch.context() as environment:
        # dbt reads its postgres target from the environment, as a deployment sets it.
        for name, value in server.env().items():
            environment.setenv(name, value)
        postgres_settings = Settings.from_env(
            env=server.env(), warehouse_path=tmp_path / "unused.duckdb", **sources
        )
        result = run_daily_refresh(postgres_settings)
        assert result.success, failure_report(result)
    return DemoWarehouses(world, duckdb_settings, postgres_settings)


@dataclass(frozen=True)
class CliDemo:
    """`sales-tracker demo` as a user runs it: the default world (scale s, seed 7)."""

    completed: subprocess.CompletedProcess[str]
    world: Path
    settings: Settings


@pytest.fixture(scope="session")
def cli_demo(tmp_path_factory: pytest.TempPathFactory) -> CliDemo:
    """The one run of the default demo the suite makes (the longest step of the suite):
    the CLI test reads its output, the ground-truth tests its marts."""
    tmp_path = tmp_path_factory.mktemp("cli_demo")
    warehouse = tmp_path / "sales.duckdb"
    args = ["demo", "--out", str(tmp_path / "demo"), "--warehouse", str(warehouse)]
    completed = run_cli(args, cli_env(tmp_path / "dagster_home"))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return CliDemo(
        completed, tmp_path / "demo", Settings.from_env(env={}, warehouse_path=warehouse)
    )
