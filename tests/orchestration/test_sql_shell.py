"""`sales-tracker sql` as a user runs it, on a small warehouse written here by hand."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.cli import CLI, cli_env, run_cli
from tests.support.postgres_server import PostgresServer

BOOKINGS = "select rep_id, rep_name, bookings_amount from marts.mart_rep_bookings order by rep_id"
# The three rows below, as the shell must print them: numbers right-aligned, NULL shown.
BOOKINGS_TABLE = """\
rep_id | rep_name | bookings_amount
-------+----------+----------------
     1 | Ana      |          100.50
     2 | Budi     |            NULL
     3 | NULL     |            7.25
(3 rows)
"""
SETUP = """
create schema marts;
create schema core;
create schema staging;
create table marts.mart_rep_bookings (
    rep_id integer, rep_name varchar, bookings_amount decimal(12, 2)
);
insert into marts.mart_rep_bookings values (1, 'Ana', 100.50), (2, 'Budi', null), (3, null, 7.25);
create table core.dim_rep (rep_id integer, rep_name varchar);
create view core.dim_rep_current as select rep_id, rep_name from core.dim_rep;
create view staging.stg_crm__deals as select 1 as deal_id;
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse" / "sales.duckdb"
    path.parent.mkdir()
    with duckdb.connect(str(path)) as connection:
        connection.execute(SETUP)
        # A schema dlt would leave: listed after the documented ones.
        connection.execute(
            "create schema raw_crm_staging; create table raw_crm_staging.deals (id int)"
        )
    return path


def sql(warehouse: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = cli_env(warehouse.parent.parent / "dagster_home", warehouse=str(warehouse))
    if stdin is None:
        return run_cli(["sql", *args], env)
    return subprocess.run(
        [str(CLI), "sql", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    """The file's bytes, its modification time and what lies beside it (a WAL, say)."""
    return (
        hashlib.sha256(path.read_bytes()).hexdigest(),
        path.stat().st_mtime_ns,
        sorted(p.name for p in path.parent.iterdir()),
    )


def test_c_prints_an_aligned_table_and_leaves_the_file_as_it_was(warehouse: Path) -> None:
    before = fingerprint(warehouse)
    completed = sql(warehouse, "-c", BOOKINGS)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == BOOKINGS_TABLE
    assert fingerprint(warehouse) == before


def test_statements_on_stdin_span_lines_and_keep_quoted_semicolons(warehouse: Path) -> None:
    script = (
        "select count(*) as reps\n"
        "from marts.mart_rep_bookings -- a comment; not the end\n"
        "where rep_name <> 'x;y';\n"
        "select 'a;b' as text; /* two; */ select 2 + 3 as five\n"  # the last one unended
    )
    completed = sql(warehouse, stdin=script)
    assert completed.returncode == 0, completed.stderr
    # Ana and Budi have a name; rep 3's NULL name is not <> 'x;y'.
    assert completed.stdout == (
        "reps\n----\n   2\n(1 row)\ntext\n----\na;b\n(1 row)\nfive\n----\n   5\n(1 row)\n"
    )


# What `.tables` lists of the fixture's schemas, documented ones first, on both targets.
DOCUMENTED_TABLES = (
    "marts\n"
    "  tables: mart_rep_bookings\n"
    "core\n"
    "  tables: dim_rep\n"
    "  views: dim_rep_current\n"
    "staging\n"
    "  views: stg_crm__deals\n"
)


def test_tables_lists_the_documented_schemas_first(warehouse: Path) -> None:
    completed = sql(warehouse, "-c", ".tables")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == DOCUMENTED_TABLES + "raw_crm_staging\n  tables: deals\n"


def test_schema_shows_columns_and_types(warehouse: Path) -> None:
    completed = sql(warehouse, stdin=".schema mart_rep_bookings\n.schema core.DIM_REP_CURRENT\n")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (
        "marts.mart_rep_bookings (table)\n"
        "column          | type\n"
        "----------------+--------------\n"
        "rep_id          | INTEGER\n"
        "rep_name        | VARCHAR\n"
        "bookings_amount | DECIMAL(12,2)\n"
        "core.dim_rep_current (view)\n"
        "column   | type\n"
        "---------+--------\n"
        "rep_id   | INTEGER\n"
        "rep_name | VARCHAR\n"
    )
    unknown = sql(warehouse, "-c", ".schema mart_nope")
    assert unknown.returncode == 1
    assert unknown.stderr == "Error: No table or view named mart_nope: .tables lists them\n"


def test_a_failed_statement_is_reported_and_the_exit_code_says_so(warehouse: Path) -> None:
    before = fingerprint(warehouse)
    completed = sql(
        warehouse, "-c", "select 1 as one; select * from marts.mart_nope; select 2 as two;"
    )
    assert completed.returncode == 1
    assert completed.stdout == "one\n---\n  1\n(1 row)\ntwo\n---\n  2\n(1 row)\n"
    assert completed.stderr.startswith("Error: Catalog Error: Table with name mart_nope")
    assert "Traceback" not in completed.stderr
    # Read-only: a write is refused, and the file stays as it was.
    write = sql(warehouse, stdin="delete from marts.mart_rep_bookings;\n")
    assert write.returncode == 1
    assert "read-only" in write.stderr and "Traceback" not in write.stderr
    assert fingerprint(warehouse) == before


def test_a_missing_warehouse_says_to_run_the_demo(tmp_path: Path) -> None:
    missing = tmp_path / "warehouse" / "sales.duckdb"
    completed = sql(missing, "-c", "select 1")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        f"sales-tracker: No warehouse at {missing}: run `make demo` first (or `sales-tracker "
        "run` on your sources), or point SALES_TRACKER_WAREHOUSE (or --warehouse) at a DuckDB "
        "file\n"
    )
    assert not missing.parent.exists()


def test_max_rows_caps_a_result_and_counts_the_rest(warehouse: Path) -> None:
    capped = sql(warehouse, "--max-rows", "2", "-c", "select * from range(5) as r(n)")
    assert capped.returncode == 0, capped.stderr
    assert capped.stdout == (
        "n\n-\n0\n1\n(2 rows shown, 3 more rows: raise --max-rows, or 0 for all)\n"
    )
    whole = sql(warehouse, "--max-rows", "0", "-c", "select * from range(5) as r(n)")
    assert whole.stdout == "n\n-\n0\n1\n2\n3\n4\n(5 rows)\n"


def test_a_percent_sign_is_sql_not_a_placeholder(warehouse: Path) -> None:
    completed = sql(warehouse, "-c", "select printf('%s!', 'hi') as said")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "said\n----\nhi!\n(1 row)\n"


def test_a_warehouse_being_written_is_named_as_the_cause(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)):
        completed = sql(warehouse, "-c", "select 1")
    assert completed.returncode == 1
    assert completed.stderr == (
        f"Error: duckdb {warehouse} is being written by process {os.getpid()} (a run from the "
        "Dagster UI or its daemon, or another program with the file open): run the statement "
        "again once it has finished\n"
    )
    # A CLI run holds the lock file beside the warehouse and writes who it is into it.
    lock = warehouse.with_name("sales.duckdb.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"run r-1 of daily_refresh (pid 42)\n")
        completed = sql(warehouse, "-c", "select 1")
    finally:
        os.close(fd)
    assert completed.returncode == 1
    assert completed.stderr == (
        f"Error: duckdb {warehouse} is in use by run r-1 of daily_refresh (pid 42) (lock "
        f"{lock}): run the statement again once it has finished\n"
    )


def test_the_prompt_reads_multi_line_statements_and_keeps_history(warehouse: Path) -> None:
    env = cli_env(warehouse.parent.parent / "dagster_home", warehouse=str(warehouse))
    env["TERM"] = "dumb"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(CLI), "sql"], env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    typed = ["select rep_name", "from core.dim_rep_current;", ".quit"]
    screen = ""
    try:
        for line in typed:
            screen += read_until(leader, ("sql> ", " ..> "))
            os.write(leader, f"{line}\n".encode())
        screen += read_until(leader, ())
    finally:
        process.wait(timeout=30)
        os.close(leader)
    assert process.returncode == 0
    assert "read-only" in screen.splitlines()[0]
    assert " ..> " in screen  # the statement went on after its first line
    assert "rep_name\n--------\n(0 rows)" in screen.replace("\r\n", "\n")
    history = (warehouse.parent / "sql_history").read_text()
    assert history.splitlines()[-3:] == typed


def read_until(fd: int, endings: tuple[str, ...], seconds: float = 30) -> str:
    """What the terminal shows until it ends with one of ``endings`` (or, with none, until
    the program closes it)."""
    text = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096).decode()
        except OSError:  # the program closed the terminal
            return text
        if not chunk:
            return text
        text += chunk
        if endings and text.endswith(endings):
            return text
    raise AssertionError(f"timed out; the terminal shows: {text!r}")


@pytest.mark.postgres
def test_on_postgres_the_same_shell_reads_the_warehouse(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    import psycopg2

    server = postgres_server.new_database("sql_shell")
    connection = psycopg2.connect(
        host=server.host, port=server.port, user=server.user, dbname=server.database
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(SETUP)
    connection.close()
    env = cli_env(tmp_path / "dagster_home")
    env.update(server.env())
    # A % in a typed statement is SQL, not a placeholder for psycopg2.
    percent = "select '100%' as share, format('%s!', 'hi') as said"
    completed = run_cli(["sql", "-c", f"{BOOKINGS}; {percent}"], env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (
        BOOKINGS_TABLE + "share | said\n------+-----\n100%  | hi!\n(1 row)\n"
    )
    tables = run_cli(["sql", "-c", ".tables"], env)
    assert tables.stdout == DOCUMENTED_TABLES
    write = run_cli(["sql", "-c", "delete from marts.mart_rep_bookings"], env)
    assert write.returncode == 1
    assert "read-only transaction" in write.stderr and "Traceback" not in write.stderr
