"""Shared fixtures: settings pointing at a scratch warehouse, and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.demo.world import generate_world
from ingest.demo.world.org import REP_EMAIL_DOMAIN
from ingest.settings import Settings
from orchestration.runner import failure_report, run_daily_refresh
from tests.postgres_server import PostgresServer, find_server_binaries, running_postgres


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


@pytest.fixture(scope="session")
def demo_warehouses(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> tuple[Settings, Settings]:
    """One xs demo world with every source, run through daily_refresh on DuckDB and on
    PostgreSQL (in a database of its own): the settings of both warehouses."""
    tmp_path = tmp_path_factory.mktemp("demo_warehouses")
    world = generate_world(tmp_path / "world", "xs", seed=11, workers=1)
    sources = {
        "crm_export_dir": world.crm_dir,
        "payments_export_dir": world.payments_dir,
        "email_dir": world.mail_dir,
        "files_dir": world.files_dir,
        "company_email_domains": (REP_EMAIL_DOMAIN,),
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
    return duckdb_settings, postgres_settings
