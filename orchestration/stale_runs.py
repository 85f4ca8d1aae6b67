"""Runs whose process died (SIGKILL, OOM, a sleeping laptop, a CI timeout) are failed and
their pool slots freed before the CLI launches; a live holder is waited for, then given up on.

Dagster records no process for an in-process run, and its run monitoring needs the daemon
and a launcher that can check its workers, so every CLI run is tagged with its process:
pid, host and the process's start time (a pid reused by another process is not the run).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.waiting import wait_until_free

PID_TAG = "sales-tracker/pid"
HOST_TAG = "sales-tracker/host"
PROCESS_START_TAG = "sales-tracker/process-start"
# Statuses in which a run may hold or wait for a slot: its process should be alive.
LIVE_STATUSES = [
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot); '' without /proc (macOS),
    where only the pid's existence can be told; None when the process is gone or a zombie
    (killed, not yet reaped)."""
    if not Path("/proc/self/stat").exists():
        return ""
    try:
        # The command name (in parentheses) may hold spaces: count the fields after it.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, start_ticks = fields[0], fields[19]
    return None if state == "Z" else start_ticks


def this_process_tags() -> dict[str, str]:
    """The tags naming this process, put on every run the CLI launches."""
    pid = os.getpid()
    return {
        PID_TAG: str(pid),
        HOST_TAG: socket.gethostname(),
        PROCESS_START_TAG: process_start(pid) or "",
    }


def is_dead(run: DagsterRun) -> bool:
    """Whether the run's recorded process is known to be gone; False when it cannot be told
    (no tags: launched by the UI or daemon; another host)."""
    if PID_TAG not in run.tags or run.tags.get(HOST_TAG) != socket.gethostname():
        return False
    pid = int(run.tags[PID_TAG])
    started = process_start(pid)
    if started is None:
        return True
    if started:
        return started != run.tags.get(PROCESS_START_TAG)
    try:
        os.kill(pid, 0)  # no /proc: existence is all that can be told
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        pass
    return False


def fail_dead_runs(instance: DagsterInstance) -> list[DagsterRun]:
    """Report every run of this host whose process is gone as failed, naming the pid, and
    free the slots any finished run still holds (the dead ones' among them)."""
    candidates = instance.get_runs(
        filters=RunsFilter(statuses=LIVE_STATUSES, tags={HOST_TAG: socket.gethostname()})
    )
    dead = [run for run in candidates if is_dead(run)]
    for run in dead:
        instance.report_run_failed(
            run,
            f"The process of this run (pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}) is "
            "gone: it was killed or crashed. Marked failed by the next sales-tracker run.",
        )
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
    return dead


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Fail sales-tracker CLI runs of this host whose process is gone, freeing the "
    "warehouse pool for scheduled and UI runs.",
)
def fail_dead_cli_runs(context: SensorEvaluationContext) -> SkipReason:
    """The daemon's side of the sweep: a schedule's run would otherwise wait on a dead CLI
    run's slot until a CLI run cleared it."""
    dead = [run.run_id for run in fail_dead_runs(context.instance)]
    return SkipReason(f"marked failed: {', '.join(dead)}" if dead else "no dead run")


@dataclass(frozen=True)
class SlotHolder:
    run_id: str
    process: str
    since: datetime | None

    def describe(self) -> str:
        since = f", running since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"run {self.run_id} ({self.process}{since})"


def slot_holders(instance: DagsterInstance, pool: str) -> list[SlotHolder]:
    holders = []
    run_ids = {
        slot.run_id for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots
    }
    for run_id in sorted(run_ids):
        record = instance.get_run_record_by_id(run_id)
        tags = record.dagster_run.tags if record else {}
        process = (
            f"pid {tags[PID_TAG]} on {tags[HOST_TAG]}"
            if PID_TAG in tags
            else "launched from the Dagster UI or daemon"
        )
        since = (
            datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else None
        )
        holders.append(SlotHolder(run_id, process, since))
    return holders


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def clear_the_way(
    instance: DagsterInstance,
    pool: str,
    wait_seconds: float,
    say: Callable[[str], None] = say_on_stderr,
) -> None:
    """Fail dead runs, then wait until no live run holds ``pool``'s slot, saying for whom at
    intervals; raise ``RunWaitTimeoutError`` after ``wait_seconds``."""
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return

    def holders_of_the_slot() -> str | None:
        for run in fail_dead_runs(instance):
            say(f"Marked run {run.run_id} failed: its process (pid {run.tags[PID_TAG]}) is gone.")
        holders = slot_holders(instance, pool)
        return "; ".join(holder.describe() for holder in holders) if holders else None

    wait_until_free(
        holders_of_the_slot,
        lambda who: f"the {pool} slot held by {who}",
        "let that run finish and retry, stop it (or, if it is dead, mark it failed in the "
        "Dagster UI), or raise SALES_TRACKER_RUN_WAIT_SECONDS",
        wait_seconds,
        say,
    )
