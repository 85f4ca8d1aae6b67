"""Crash trials: SIGKILL the process group of a `sales-tracker run` at a chosen point, rerun
it plainly in the same Dagster home and warehouse, and hold the result against a clean run.

Shared by `make crash-trials` (tests/crash/__main__.py: random points) and the suite
(tests/orchestration/test_crash_recovery.py: fixed points).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from dagster import DagsterEventType, DagsterInstance, EventLogEntry, RunsFilter

from demo.world import WorldSummary
from demo.world.org import REP_EMAIL_DOMAIN
from demo.world.scales import WORLD_LAST_DAY
from orchestration.assets.ingestion import SOURCES
from orchestration.stale_runs import PID_TAG
from tests.support.cli import CLI, cli_env, home_with_pools, world_sources

PHASES = ("ingest", "checks", "dbt")
DBT_STEP = "dbt_models"
INGEST_STEPS = frozenset(spec.name for spec in SOURCES)
WATCHED_EVENTS = {
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.ASSET_MATERIALIZATION,
}
# Columns two loads of the same data legitimately fill differently: dlt's load and row ids
# (a new load id per load, random row ids), and the validity stamps of dbt's check-strategy
# snapshot and the time it captured a row (the time of the run that saw the row; its scd id
# hashes that time).
VOLATILE_COLUMNS = frozenset(
    {
        *("_dlt_load_id", "_dlt_id"),
        *("captured_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"),
    }
)
# A rerun should take about as long as a clean run; beyond this it is taken as hung.
RERUN_TIMEOUT_SECONDS = 900
# Should a rerun wait on the killed run (missed as dead), it gives up quickly.
RERUN_WAIT_SECONDS = "60"


def phase_of(step_key: str) -> str:
    if step_key == DBT_STEP:
        return "dbt"
    return "ingest" if step_key in INGEST_STEPS else "checks"


@dataclass(frozen=True)
class Workspace:
    """A Dagster home (the project's dagster.yaml, so pools apply) and a warehouse."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "sales.duckdb"

    @classmethod
    def create(cls, root: Path) -> Workspace:
        home_with_pools(root)
        return cls(root)

    def env(self) -> dict[str, str]:
        """The settings of the demo world, as the suite's demo_warehouses fixture has them."""
        return cli_env(
            self.home,
            as_of_date=WORLD_LAST_DAY.isoformat(),
            company_email_domains=REP_EMAIL_DOMAIN,
            # A few records of a small object type are a large share of it.
            max_reject_rate="0.25",
            run_wait_seconds=RERUN_WAIT_SECONDS,
        )

    def command(self, world: WorldSummary) -> list[str]:
        return [str(CLI), "run", *world_sources(world, self.warehouse)]


def start_run(world: WorldSummary, workspace: Workspace, log: Path) -> subprocess.Popen[bytes]:
    """`sales-tracker run` in a process group of its own, its output into ``log``."""
    with log.open("wb") as output:
        return subprocess.Popen(
            workspace.command(world),
            env=workspace.env(),
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@dataclass(frozen=True)
class RunOutcome:
    returncode: int | None  # None: still running at the timeout (then killed)
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def plain_run(world: WorldSummary, workspace: Workspace, log: Path) -> RunOutcome:
    """The same command, run to its end (killed as hung after RERUN_TIMEOUT_SECONDS)."""
    started = time.monotonic()
    process = start_run(world, workspace, log)
    try:
        returncode: int | None = process.wait(timeout=RERUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        returncode = None
    return RunOutcome(returncode, time.monotonic() - started, log.read_text(errors="replace"))


@dataclass(frozen=True)
class KillPoint:
    """Kill once a step of ``phase`` is running and that phase has materialized
    ``materialized`` assets, ``delay`` seconds later, or as soon as the phase is over if
    that comes first (so the kill lands in the phase, or just after its last step)."""

    phase: str
    materialized: int = 0
    delay: float = 0.0


@dataclass
class RunProgress:
    """What a run's event log says: the step running now, and assets materialized by phase."""

    running: list[str] = field(default_factory=list)
    materialized: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))

    @classmethod
    def of(cls, records: list[EventLogEntry]) -> RunProgress:
        progress = cls()
        for record in records:
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                progress.running.append(event.step_key)
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                progress.materialized[phase_of(event.step_key)] += 1
            elif event.step_key in progress.running:
                progress.running.remove(event.step_key)
        return progress

    @property
    def phase(self) -> str:
        return phase_of(self.running[-1]) if self.running else "between steps"


def run_progress(instance: DagsterInstance, pid: int) -> RunProgress | None:
    """The progress of the run the process ``pid`` started; None before it has one."""
    runs = instance.get_runs(filters=RunsFilter(tags={PID_TAG: str(pid)}), limit=1)
    if not runs:
        return None
    return RunProgress.of(instance.all_logs(runs[0].run_id, of_type=WATCHED_EVENTS))


@dataclass(frozen=True)
class Kill:
    phase: str  # the phase of the step running when the kill came, or "between steps"
    seconds: float  # after the start of the run's process
    output: str


def kill_at(
    world: WorldSummary, workspace: Workspace, point: KillPoint, log: Path, timeout: float = 600
) -> Kill:
    """Start the run, SIGKILL its whole process group at ``point``, return where it hit.

    Raises AssertionError if the run ends, or never reaches the point, before the kill."""
    started = time.monotonic()
    process = start_run(world, workspace, log)
    with DagsterInstance.from_config(str(workspace.home)) as instance:
        try:
            while True:
                assert process.poll() is None, (
                    f"the run ended (exit {process.returncode}) before the kill at {point}:\n"
                    + log.read_text(errors="replace")[-3000:]
                )
                assert time.monotonic() - started < timeout, f"the run never reached {point}"
                progress = run_progress(instance, process.pid)
                if (
                    progress is not None
                    and progress.phase == point.phase
                    and progress.materialized[point.phase] >= point.materialized
                ):
                    break
                time.sleep(0.05)
            kill_by = time.monotonic() + point.delay
            while time.monotonic() < kill_by:
                progress = run_progress(instance, process.pid)
                # A gap between two steps is not the end of the phase; the next phase is.
                if progress is None or progress.phase not in (point.phase, "between steps"):
                    break
                time.sleep(0.05)
            progress = run_progress(instance, process.pid)
            os.killpg(process.pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before the kill"
    hit = progress.phase if progress else "between steps"
    return Kill(hit, time.monotonic() - started, log.read_text(errors="replace"))


def phase_spans(workspace: Workspace) -> dict[str, float]:
    """Seconds from the first step start to the last step end of each phase, in the one
    run of ``workspace`` (the clean run): the windows random kill points are drawn from."""
    with DagsterInstance.from_config(str(workspace.home)) as instance:
        (run,) = instance.get_runs()
        bounds: dict[str, list[float]] = {}
        for record in instance.all_logs(run.run_id, of_type=WATCHED_EVENTS):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            window = bounds.setdefault(phase_of(event.step_key), [record.timestamp] * 2)
            window[0] = min(window[0], record.timestamp)
            window[1] = max(window[1], record.timestamp)
    return {phase: end - start for phase, (start, end) in bounds.items()}


@dataclass(frozen=True)
class Comparison:
    """Tables of a warehouse that differ from the reference's, with how."""

    marts: list[str]
    raw: list[str]

    @property
    def marts_equal(self) -> bool:
        return not self.marts

    @property
    def raw_equal(self) -> bool:
        return not self.raw


def _tables(connection: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    """Compared tables (``schema.table``) and their compared columns, of one attached file."""
    rows = connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = ? order by table_schema, table_name, ordinal_position",
        [catalog],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        # dlt's scratch (the *_staging datasets) and bookkeeping (_dlt_* tables) say how
        # the data was loaded, not what it is; DuckDB's own schemas hold nothing of ours.
        if schema.endswith("_staging") or table.startswith("_dlt") or schema == "main":
            continue
        columns = tables.setdefault(f"{schema}.{table}", [])
        if column not in VOLATILE_COLUMNS:
            columns.append(column)
    return tables


def compare_warehouses(reference: Path, candidate: Path) -> Comparison:
    """Every raw table (raw_* datasets) and every table dbt built, as row multisets (each
    way with ``except all``), of ``candidate`` against ``reference``."""
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{reference}' as reference (read_only)")
        connection.execute(f"attach '{candidate}' as candidate (read_only)")
        expected, got = _tables(connection, "reference"), _tables(connection, "candidate")
        differences: dict[str, list[str]] = {"marts": [], "raw": []}
        for name in sorted(expected.keys() | got.keys()):
            kind = "raw" if name.startswith("raw_") else "marts"
            if name not in got or name not in expected:
                side = "the reference" if name in expected else "the rerun"
                differences[kind].append(f"{name}: only in {side}")
                continue
            if expected[name] != got[name]:
                differences[kind].append(f"{name}: columns {expected[name]} vs {got[name]}")
                continue
            columns = ", ".join(f'"{column}"' for column in expected[name])
            schema, table = name.split(".")
            counts = [
                connection.execute(
                    f'select count(*) from (select {columns} from {a}."{schema}"."{table}" '
                    f'except all select {columns} from {b}."{schema}"."{table}")'
                ).fetchone()[0]
                for a, b in (("reference", "candidate"), ("candidate", "reference"))
            ]
            if any(counts):
                differences[kind].append(
                    f"{name}: {counts[0]} rows only in the reference, {counts[1]} only in the rerun"
                )
        return Comparison(differences["marts"], differences["raw"])
    finally:
        connection.close()
