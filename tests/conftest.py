"""Shared fixtures: settings pointing at a scratch warehouse, and a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.settings import Settings
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
