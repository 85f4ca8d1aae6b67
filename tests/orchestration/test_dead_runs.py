"""A killed run never blocks the next one; a live one is waited for, then given up on."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    build_sensor_context,
)
from dagster._core.utils import make_new_run_id

from ingest.errors import SettingsError
from ingest.settings import Settings
from orchestration.resources import WAREHOUSE_POOL
from orchestration.stale_runs import (
    PID_TAG,
    PROCESS_START_TAG,
    fail_dead_cli_runs,
    fail_dead_runs,
    this_process_tags,
)
from tests.support.cli import CLI, cli_env, home_with_pools, run_cli
from tests.support.hand_world import write_hand_world


def ingest_args(tmp_path: Path) -> list[str]:
    export = write_hand_world(tmp_path / "crm")
    return ["ingest", "--crm-export", str(export), "--warehouse", str(tmp_path / "sales.duckdb")]


def slots_in_use(instance: DagsterInstance) -> tuple[list, list]:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return info.claimed_slots, info.pending_steps


def kill_once_it_holds_the_slot(
    command: list[str], env: dict[str, str], instance: DagsterInstance
) -> int:
    """Start ``command`` in a process group of its own, SIGKILL the group as soon as a run
    has claimed the warehouse slot, and return the killed pid."""
    process = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 300
    while not slots_in_use(instance)[0]:
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the run never claimed the warehouse slot"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert slots_in_use(instance)[0], "killed only after the run had let go of the slot"
    return process.pid


def test_a_run_killed_holding_the_slot_is_failed_and_the_rerun_completes(tmp_path: Path) -> None:
    home = home_with_pools(tmp_path)
    env = cli_env(home)
    args = ingest_args(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:
        killed_pid = kill_once_it_holds_the_slot([str(CLI), *args], env, instance)
        (dead,) = instance.get_runs()
        assert dead.status == DagsterRunStatus.STARTED  # what issue 15 found

        # Should the dead run be missed, the rerun gives up within a minute instead of hanging.
        completed = run_cli(args, {**env, "SALES_TRACKER_RUN_WAIT_SECONDS": "60"})

        assert completed.returncode == 0, completed.stderr[-3000:]
        assert "ingest succeeded" in completed.stdout
        assert f"Marked run {dead.run_id} failed" in completed.stderr
        dead = instance.get_run_by_id(dead.run_id)
        assert dead is not None and dead.status == DagsterRunStatus.FAILURE
        (failure,) = instance.all_logs(dead.run_id, of_type=DagsterEventType.RUN_FAILURE)
        assert f"pid {killed_pid} " in failure.dagster_event.message
        assert slots_in_use(instance) == ([], [])


def add_live_looking_run(instance: DagsterInstance, **tags: str) -> DagsterRun:
    """A STARTED run tagged with this test's process (``tags`` override), holding the slot."""
    run = instance.add_run(
        DagsterRun(
            job_name="holder",
            run_id=make_new_run_id(),
            status=DagsterRunStatus.STARTED,
            tags={**this_process_tags(), **tags},
        )
    )
    storage = instance.event_log_storage
    # A run's executor sizes the pool from dagster.yaml before its first claim, as here.
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, run.run_id, "hold")
    assert claim.is_claimed
    return run


def test_a_run_waiting_on_a_live_holder_says_so_and_gives_up(tmp_path: Path) -> None:
    home = home_with_pools(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:
        holder = add_live_looking_run(instance)

        started = time.monotonic()
        completed = run_cli(ingest_args(tmp_path), cli_env(home, run_wait_seconds="2"))

        assert completed.returncode == 2, completed.stderr[-3000:]
        waited = f"warehouse slot held by run {holder.run_id} (pid {os.getpid()} on "
        assert f"Waiting for the {waited}" in completed.stderr
        assert f"sales-tracker: Gave up after 2 s waiting for the {waited}" in completed.stderr
        assert "SALES_TRACKER_RUN_WAIT_SECONDS" in completed.stderr
        assert time.monotonic() - started < 120
        # The live holder is left alone, and nothing else ran.
        assert [run.run_id for run in instance.get_runs()] == [holder.run_id]
        assert instance.get_run_by_id(holder.run_id).status == DagsterRunStatus.STARTED


def test_a_reused_pid_is_not_taken_for_the_run(tmp_path: Path) -> None:
    with DagsterInstance.from_config(str(home_with_pools(tmp_path))) as instance:
        live = add_live_looking_run(instance)
        instance.event_log_storage.free_concurrency_slots_for_run(live.run_id)
        # This process's pid, but another process's start time: the run's process is gone.
        reused = add_live_looking_run(instance, **{PROCESS_START_TAG: "1"})

        assert [run.run_id for run in fail_dead_runs(instance)] == [reused.run_id]

        assert instance.get_run_by_id(reused.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(live.run_id).status == DagsterRunStatus.STARTED
        assert slots_in_use(instance) == ([], [])


def test_the_daemon_sensor_fails_a_dead_cli_run(tmp_path: Path) -> None:
    with DagsterInstance.from_config(str(home_with_pools(tmp_path))) as instance:
        exited = subprocess.Popen(["true"])
        exited.wait()  # reaped: its pid names no process now
        dead = add_live_looking_run(instance, **{PID_TAG: str(exited.pid)})

        outcome = fail_dead_cli_runs(build_sensor_context(instance=instance))

        assert outcome.skip_message == f"marked failed: {dead.run_id}"
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
        assert slots_in_use(instance) == ([], [])


@pytest.mark.parametrize("raw", ["ten", "-1", "nan"])
def test_a_malformed_run_wait_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="SALES_TRACKER_RUN_WAIT_SECONDS must be"):
        Settings.from_env(env={"SALES_TRACKER_RUN_WAIT_SECONDS": raw})
