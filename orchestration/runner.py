"""Run the jobs in-process on the definitions built for a configuration."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from dagster import DagsterInstance, ExecuteInProcessResult

from ingest.errors import SalesTrackerError
from ingest.preflight import check_sources
from ingest.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.resources import WAREHOUSE_POOL
from orchestration.stale_runs import clear_the_way, say_on_stderr, this_process_tags
from orchestration.warehouse_lock import describe_this_process, warehouse_lock

# dbt's own progress lines are INFO; DEBUG would add Dagster's every engine event.
CONSOLE_AT_INFO = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run_daily_refresh(
    settings: Settings, instance: DagsterInstance | None = None
) -> ExecuteInProcessResult:
    return run_job(settings, "daily_refresh", instance)


def run_job(
    settings: Settings,
    job_name: str,
    instance: DagsterInstance | None = None,
    after_run: Callable[[ExecuteInProcessResult], None] | None = None,
) -> ExecuteInProcessResult:
    """Run one of the code location's jobs (``daily_refresh``, ``ingest``) in this process,
    tagged with it, once no other process uses the warehouse (its lock, see
    orchestration/warehouse_lock.py) and no run holds the warehouse pool (dead ones are
    failed first); each wait ends after ``settings.run_wait_seconds``.

    The configured sources are checked first: building the definitions creates the
    warehouse folder and dlt's state, which a misconfigured run must not leave behind.
    The lock is taken before the pool slot, which the steps take: a run of the UI or
    daemon takes only the slot, so it never waits for a lock a run holding the slot needs.
    ``after_run`` (the CLI's summary, which reads the warehouse) runs before the lock is
    released: a waiting run would otherwise open the file under it.
    """
    check_sources(settings)
    job = build_definitions(settings).resolve_job_def(job_name)
    instance = instance or DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())  # as Dagster makes them; the lock names it before the run starts
    holder = describe_this_process(run_id, job_name)
    with warehouse_lock(settings, settings.run_wait_seconds, holder, say_on_stderr):
        clear_the_way(instance, WAREHOUSE_POOL, settings.run_wait_seconds)
        result = job.execute_in_process(
            instance=instance,
            run_config=CONSOLE_AT_INFO,
            run_id=run_id,
            tags=this_process_tags(),
            raise_on_error=False,
        )
        if after_run is not None:
            after_run(result)
        return result


def failure_report(result: ExecuteInProcessResult) -> list[str]:
    """One line per failed step and per failed blocking check, naming what went wrong."""
    lines = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        # The innermost cause names what to fix; the wrappers around it only say where.
        while error is not None and error.cause is not None:
            error = error.cause
        message = error.message.strip() if error else "unknown error"
        if error is not None:
            # Our own errors are written for the user: the class path before them is noise.
            message = message.removeprefix(f"{SalesTrackerError.__module__}.{error.cls_name}: ")
        lines.append(f"step {event.step_key}: {message}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            line = (
                f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed "
                f"({evaluation.severity.value})"
            )
            # A failed check's description, when it has one, says what to do.
            lines.append(f"{line}: {evaluation.description}" if evaluation.description else line)
    return lines
