"""A throwaway PostgreSQL server for tests: initdb + pg_ctl on a free loopback port.

initdb refuses to run as root (CI runs as root), so as root the server runs as the
unprivileged ``postgres`` user, created if missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from tests.support.ports import free_port

SERVER_USER = "postgres"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str

    def new_database(self, name: str) -> PostgresServer:
        """A database of its own on this server, so tests never see each other's schemas."""
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=self.database
        )
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        finally:
            connection.close()
        return replace(self, database=name)

    def env(self) -> dict[str, str]:
        return {
            "SALES_TRACKER_TARGET": "postgres",
            "SALES_TRACKER_PG_HOST": self.host,
            "SALES_TRACKER_PG_PORT": str(self.port),
            "SALES_TRACKER_PG_USER": self.user,
            "SALES_TRACKER_PG_PASSWORD": self.password,
            "SALES_TRACKER_PG_DATABASE": self.database,
        }


def find_server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when no server is installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _ensure_server_user() -> None:
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True)


def _run(command: list[str]) -> None:
    if _running_as_root():
        command = ["runuser", "-u", SERVER_USER, "--", *command]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")


@contextmanager
def running_postgres(binaries: Path) -> Iterator[PostgresServer]:
    with tempfile.TemporaryDirectory(prefix="sales-tracker-pg-") as scratch:
        data_dir = Path(scratch) / "data"
        data_dir.mkdir()
        if _running_as_root():
            _ensure_server_user()
            shutil.chown(scratch, SERVER_USER)
            shutil.chown(data_dir, SERVER_USER)
        port = free_port()
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "tester",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        options = f"-h 127.0.0.1 -p {port} -k {data_dir} -F -c fsync=off"
        _run(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "-l",
                str(data_dir / "server.log"),
                "start",
            ]
        )
        try:
            _run(
                [
                    str(binaries / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "tester",
                    "sales_tracker",
                ]
            )
            # Trust auth accepts any password; dlt's postgres destination insists on one.
            yield PostgresServer("127.0.0.1", port, "tester", "unused-with-trust", "sales_tracker")
        finally:
            _run([str(binaries / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"])
