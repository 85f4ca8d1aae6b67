"""The same slice on a real PostgreSQL server gives the same mart."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings
from orchestration.runner import failure_report, run_daily_refresh
from orchestration.warehouse import query
from tests.hand_world import EXPECTED_MART, write_hand_world
from tests.marts import assert_rows_match, rep_performance_monthly
from tests.postgres_server import PostgresServer

pytestmark = pytest.mark.postgres


def test_hand_world_on_postgres_matches_the_hand_worked_kpis(
    tmp_path: Path, postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dbt reads its postgres target from the environment, as a deployment would set it.
    for name, value in postgres_server.env().items():
        monkeypatch.setenv(name, value)
    export = write_hand_world(tmp_path / "crm", with_malformed=True)
    settings = Settings.from_env(
        crm_export_dir=export, warehouse_path=tmp_path / "unused.duckdb", max_reject_rate=0.25
    )
    assert settings.target == "postgres"

    result = run_daily_refresh(settings)
    assert result.success, failure_report(result)
    assert_rows_match(rep_performance_monthly(settings), EXPECTED_MART)
    assert query(settings, "select count(*) as n from raw_crm.rejects")["n"].iloc[0] == 2
    assert not (tmp_path / "unused.duckdb").exists()
