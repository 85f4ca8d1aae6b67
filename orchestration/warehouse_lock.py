"""One run at a time per warehouse, across processes and Dagster homes: an OS file lock.

The Dagster pool serializes the steps of the runs of one instance only; two CLI runs with
different DAGSTER_HOMEs (or a run started while another's steps are between claims) would
write one warehouse at once. ``flock`` is held by the open file, so the kernel lets go of it
when its process dies, however it dies: a killed run never leaves it behind. The holder
writes who it is into the file, for the waiter to say whom it waits for.
"""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest.settings import Settings
from orchestration.waiting import wait_until_free


def lock_path(settings: Settings) -> Path:
    """``<warehouse>.lock`` beside a DuckDB file; for PostgreSQL, one file per server and
    database in the temp folder (which only serializes the runs of this host)."""
    if settings.target == "postgres" and settings.postgres is not None:
        pg = settings.postgres
        return (
            Path(tempfile.gettempdir())
            / "sales-tracker"
            / (f"postgres-{pg.host}-{pg.port}-{pg.database}.lock")
        )
    return settings.warehouse_path.with_name(settings.warehouse_path.name + ".lock")


def lock_holder(fd: int, unnamed: str) -> str:
    """Who holds the lock file open at ``fd``, as its holder wrote it; ``unnamed`` when
    the file is empty (a new holder between its lock and its note, or a reader)."""
    written = os.pread(fd, 1024, 0).decode(errors="replace").strip()
    return written or unnamed


@contextmanager
def warehouse_lock(
    settings: Settings,
    wait_seconds: float,
    holder: str,
    say: Callable[[str], None],
) -> Iterator[None]:
    """Hold the warehouse's lock for the block, writing ``holder`` (which run) into it;
    while another process holds it, wait as ``orchestration/waiting.py`` does."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def holder_of_the_lock() -> str | None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return None
            except BlockingIOError:
                # The SQL shell holds the lock shared, for one statement, naming no one.
                return lock_holder(fd, "a reader (sales-tracker sql) or a run not yet named")

        wait_until_free(
            holder_of_the_lock,
            lambda who: f"{settings.describe()}, in use by {who} (lock {path})",
            "let that run finish and retry, stop it, or raise SALES_TRACKER_RUN_WAIT_SECONDS",
            wait_seconds,
            say,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def describe_this_process(run_id: str, job_name: str) -> str:
    """Who holds the lock, as a waiter reads it."""
    return (
        f"run {run_id} of {job_name} (pid {os.getpid()} on {socket.gethostname()}, "
        f"since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)"
    )
