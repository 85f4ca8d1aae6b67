"""A run SIGKILLed anywhere is repaired by a plain rerun: the crash trials of
`make crash-trials` (tests/crash/trials.py) at fixed points, on the suite's xs world."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DemoWarehouses
from tests.crash.trials import KillPoint, Workspace, compare_warehouses, kill_at, plain_run


def test_killed_in_ingest_then_in_dbt_a_plain_rerun_equals_a_clean_run(
    demo_warehouses: DemoWarehouses, tmp_path: Path
) -> None:
    """Twice in a row, in the same Dagster home and warehouse: killed once part of the raw
    tables are loaded, its rerun killed once dbt has built part of the models, then a plain
    rerun. The reference is the suite's clean build of the same world and settings."""
    world, reference = demo_warehouses.world, demo_warehouses.duckdb.warehouse_path
    workspace = Workspace.create(tmp_path)

    in_ingest = kill_at(world, workspace, KillPoint("ingest", materialized=10), tmp_path / "1.log")
    in_dbt = kill_at(world, workspace, KillPoint("dbt", materialized=30), tmp_path / "2.log")

    # Each killed where meant (the phase is read off its materializations), so the plain
    # rerun below starts from raw tables reloaded and a dbt build cut short.
    assert (in_ingest.phase, in_dbt.phase) == ("ingest", "dbt")
    assert "Marked run " in in_dbt.output  # the first dead run, swept by the second

    rerun = plain_run(world, workspace, tmp_path / "3.log")

    assert rerun.ok, rerun.output[-3000:]
    assert "daily_refresh succeeded" in rerun.output
    assert rerun.output.count("Marked run ") == 1  # the second dead run
    comparison = compare_warehouses(reference, workspace.warehouse)
    assert comparison.raw == []
    assert comparison.marts == []
