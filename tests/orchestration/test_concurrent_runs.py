"""Two runs on one warehouse never write it at once: the second waits, saying for whom, or
gives up with a message naming the holder (orchestration/warehouse_lock.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from ingest.errors import RunWaitTimeoutError
from orchestration.runner import run_job
from orchestration.warehouse_lock import warehouse_lock
from tests.conftest import scratch_settings
from tests.support.cli import CLI, cli_env, home_with_pools
from tests.support.hand_world import write_hand_world


def test_a_second_run_gives_up_naming_the_run_that_holds_the_warehouse(tmp_path: Path) -> None:
    settings = scratch_settings(
        tmp_path, crm_export_dir=write_hand_world(tmp_path / "crm"), run_wait_seconds=0.5
    )
    holder = "run 1234 of daily_refresh (pid 99 on elsewhere)"
    instance = DagsterInstance.ephemeral()
    said: list[str] = []

    with (
        warehouse_lock(settings, 0, holder, said.append),
        pytest.raises(RunWaitTimeoutError) as raised,
    ):
        run_job(settings, "ingest", instance)

    assert str(raised.value).startswith(
        f"Gave up after 0.5 s waiting for duckdb {settings.warehouse_path}, in use by {holder}"
    )
    assert "SALES_TRACKER_RUN_WAIT_SECONDS" in str(raised.value)
    assert said == []  # the holder was not kept waiting
    assert instance.get_runs() == []  # nothing ran
    assert not settings.warehouse_path.exists()


def test_two_runs_started_together_in_two_dagster_homes_take_turns(tmp_path: Path) -> None:
    """Different Dagster homes share no pool: before the lock, both runs failed on DuckDB's
    file lock, or on each other's dlt load packages."""
    export = write_hand_world(tmp_path / "crm")
    warehouse = tmp_path / "sales.duckdb"
    args = [str(CLI), "ingest", "--crm-export", str(export), "--warehouse", str(warehouse)]
    runs = [
        subprocess.Popen(
            args,
            env=cli_env(home_with_pools(tmp_path / name)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    outputs = [run.communicate(timeout=600) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [err[-3000:] for _, err in outputs]
    run_ids = [re.search(r"ingest succeeded in .* \(run (\S+)\)", out)[1] for out, _ in outputs]
    waits = [
        (index, line)
        for index, (_, err) in enumerate(outputs)
        for line in err.splitlines()
        if line.startswith(f"Waiting for duckdb {warehouse}, in use by run ")
    ]
    assert waits, "neither run waited for the other"
    waiter = waits[0][0]
    holder = 1 - waiter
    assert all(index == waiter for index, _ in waits)
    assert f"in use by run {run_ids[holder]} of ingest (pid {runs[holder].pid} on " in waits[0][1]
    # Each record of the export once, though it was loaded twice.
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for table in ("deals", "owners", "deal_pipelines"):
            lines = (export / f"{table}.jsonl").read_text().splitlines()
            rows, ids = connection.execute(
                f"select count(*), count(distinct id) from raw_crm.{table}"
            ).fetchone()
            assert rows == ids == len(lines), table
    finally:
        connection.close()
