"""``sales-tracker sql``: an SQL prompt on the configured warehouse, read-only.

DuckDB refuses the file to a writer while any other process has it open, even read-only:
so the shell opens the warehouse for each statement and closes it at once (an idle shell
never stands in a run's way), and meanwhile holds the CLI runs' lock file shared (a CLI
run starting during a statement waits for it, rather than failing). The price: nothing
carries over from one statement to the next (SET, temporary tables). On PostgreSQL the
same shell runs each statement in a read-only session of its own.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ingest.errors import SalesTrackerError
from ingest.settings import Settings
from orchestration.sql_text import StatementSplitter, format_table, row_count_note
from orchestration.warehouse import connect
from orchestration.warehouse_lock import lock_holder, lock_path

# The documented schemas, in the order a reader meets them (README, "The warehouse");
# any other (dlt's own, main) follows in name order.
SCHEMA_ORDER = (
    "marts",
    "core",
    "intermediate",
    "snapshots",
    "staging",
    "raw_crm",
    "raw_payments",
    "raw_email",
    "raw_files",
)
PROMPT = "sql> "
CONTINUATION_PROMPT = " ..> "
HELP = """\
End each statement with ; (it may span lines). Commands:
  .tables          schemas and their tables and views
  .schema NAME     columns and types of a table or view (NAME or schema.NAME)
  .help            this help
  .quit            leave (or Ctrl-D)"""


class WarehouseNotFoundError(SalesTrackerError):
    """The configured DuckDB file does not exist: nothing was built there yet."""


class WarehouseBusyError(SalesTrackerError):
    """Another process writes the warehouse; the message names it where it can."""


class UnknownTableError(SalesTrackerError):
    """``.schema`` was given a name no table or view has."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    # Rows the result held beyond ``rows`` (the --max-rows cap).
    more: int = 0


def run_sql_shell(
    settings: Settings,
    statements: str | None,
    max_rows: int,
    stdin: TextIO | None = None,
) -> int:
    """``statements`` (``-c``) or stdin when it is not a terminal: run them, exit 1 if one
    failed; else an interactive prompt."""
    stdin = stdin or sys.stdin
    _check_warehouse_exists(settings)
    shell = Shell(settings, max_rows)
    if statements is not None:
        return shell.run_script(statements.splitlines(keepends=True))
    if not stdin.isatty():
        return shell.run_script(stdin)
    return shell.interact()


class Shell:
    def __init__(self, settings: Settings, max_rows: int) -> None:
        self.settings = settings
        self.max_rows = max_rows
        self.splitter = StatementSplitter()
        self.failed = False

    def run_script(self, lines: Iterable[str]) -> int:
        for line in lines:
            if not self.take(line):
                return self._exit_code()
        if (statement := self.splitter.finish()) is not None:
            self._run(statement)
        return self._exit_code()

    def interact(self) -> int:
        history = _History(self.settings.warehouse_path.parent / "sql_history")
        print(_banner(self.settings), flush=True)
        try:
            while True:
                prompt = CONTINUATION_PROMPT if self.splitter.in_statement else PROMPT
                try:
                    line = input(prompt)
                except EOFError:
                    print()
                    return 0
                except KeyboardInterrupt:
                    # Ctrl-C at the prompt drops the statement being typed; the shell stays.
                    print()
                    self.splitter.reset()
                    continue
                try:
                    if not self.take(line + "\n"):
                        return 0
                except KeyboardInterrupt:
                    print("\nInterrupted.", file=sys.stderr)
        finally:
            history.save()

    def take(self, line: str) -> bool:
        """Run what ``line`` completes: a dot command or statements; False on ``.quit``."""
        command = line.strip()
        if command.startswith(".") and not self.splitter.in_statement:
            return self._meta(command)
        for statement in self.splitter.feed(line):
            self._run(statement)
        return True

    def _meta(self, command: str) -> bool:
        name, _, argument = command.partition(" ")
        if name in (".quit", ".exit"):
            return False
        try:
            if name == ".help":
                print(HELP)
            elif name == ".tables":
                print(self._tables())
            elif name == ".schema" and argument.strip():
                print(self._schema(argument.strip()))
            elif name == ".schema":
                raise SalesTrackerError(".schema needs a table or view: .schema NAME")
            else:
                raise SalesTrackerError(f"Unknown command {name}: .help lists the commands")
        except SalesTrackerError as error:
            self._fail(str(error))
        return True

    def _run(self, statement: str) -> None:
        try:
            result = execute(self.settings, statement, max_rows=self.max_rows)
        except SalesTrackerError as error:
            self._fail(str(error))
            return
        if result is None:
            print("OK")
            return
        print(format_table(result.columns, result.rows))
        print(row_count_note(len(result.rows), result.more), flush=True)

    def _tables(self) -> str:
        result = execute(
            self.settings,
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() "
            "and table_schema not in ('information_schema', 'pg_catalog') "
            "order by table_schema, table_name",
        )
        assert result is not None
        by_schema: dict[str, dict[str, list[str]]] = {}
        for schema, name, kind in result.rows:
            kinds = by_schema.setdefault(schema, {"tables": [], "views": []})
            kinds["views" if kind == "VIEW" else "tables"].append(name)
        if not by_schema:
            return "No tables: the warehouse is empty."
        lines = []
        for schema in sorted(by_schema, key=_schema_rank):
            lines.append(schema)
            for kind, names in by_schema[schema].items():
                if names:
                    lines.extend(
                        textwrap.wrap(
                            f"{kind}: {', '.join(names)}",
                            width=100,
                            initial_indent="  ",
                            subsequent_indent="    ",
                            break_on_hyphens=False,
                        )
                    )
        return "\n".join(lines)

    def _schema(self, name: str) -> str:
        schema, _, table = name.rpartition(".")
        where = "lower(c.table_name) = lower(%s)"
        parameters = [table]
        if schema:
            where += " and lower(c.table_schema) = lower(%s)"
            parameters.append(schema)
        result = execute(
            self.settings,
            "select c.table_schema, c.table_name, t.table_type, c.column_name, c.data_type "
            "from information_schema.columns as c join information_schema.tables as t "
            "using (table_catalog, table_schema, table_name) "
            f"where c.table_catalog = current_database() and {where} "
            "order by c.table_schema, c.table_name, c.ordinal_position",
            parameters,
        )
        assert result is not None
        if not result.rows:
            raise UnknownTableError(f"No table or view named {name}: .tables lists them")
        relations: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for schema_name, table_name, kind, column, data_type in result.rows:
            relations.setdefault((schema_name, table_name, kind), []).append((column, data_type))
        blocks = [
            f"{schema_name}.{table_name} ({'view' if kind == 'VIEW' else 'table'})\n"
            + format_table(["column", "type"], columns)
            for (schema_name, table_name, kind), columns in sorted(
                relations.items(), key=lambda item: (_schema_rank(item[0][0]), item[0])
            )
        ]
        return "\n\n".join(blocks)

    def _fail(self, message: str) -> None:
        self.failed = True
        print(f"Error: {message}", file=sys.stderr, flush=True)

    def _exit_code(self) -> int:
        return 1 if self.failed else 0


def execute(
    settings: Settings, sql: str, parameters: Sequence[Any] = (), max_rows: int = 0
) -> Result | None:
    """Run one statement on a connection of its own; its rows (the first ``max_rows``, 0:
    all, the rest counted), or None for a statement without any. A database error
    becomes a ``SalesTrackerError`` carrying the database's own message."""
    errors = _database_errors(settings)
    # Only the shell's own queries take parameters: a typed statement's % is SQL (a
    # LIKE pattern, a format string), which either driver would read as a placeholder.
    arguments: tuple[list[Any], ...] = (list(parameters),) if parameters else ()
    if parameters and settings.target != "postgres":
        sql = sql.replace("%s", "?")
    try:
        with _open(settings) as connection:
            cursor = connection.cursor()
            cursor.execute(sql, *arguments)
            if cursor.description is None:
                return None
            columns = [description[0] for description in cursor.description]
            rows = [tuple(row) for row in cursor.fetchmany(max_rows)] if max_rows else []
            more = 0
            # Counted, not kept: a result of millions of rows is never held whole.
            while chunk := cursor.fetchmany(10_000):
                if max_rows:
                    more += len(chunk)
                else:
                    rows.extend(tuple(row) for row in chunk)
            return Result(columns, rows, more)
    except errors as error:
        raise SalesTrackerError(str(error).strip()) from None


@contextmanager
def _open(settings: Settings) -> Iterator[Any]:
    if settings.target == "postgres":
        with connect(settings) as connection:
            yield connection
        return
    import duckdb

    _check_warehouse_exists(settings)
    with ExitStack() as stack:
        stack.enter_context(_beside_cli_runs(settings))
        try:
            connection = stack.enter_context(connect(settings))
        except duckdb.IOException as error:
            if "Could not set lock" not in str(error):
                raise
            raise _busy(settings, str(error)) from None
        yield connection


@contextmanager
def _beside_cli_runs(settings: Settings) -> Iterator[None]:
    """Hold the warehouse's run lock (orchestration/warehouse_lock.py) shared, if a run
    ever made it; a run holding it is named from what it wrote into it."""
    path = lock_path(settings)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(fd, "a starting run")  # readers never block readers
            raise WarehouseBusyError(
                f"{settings.describe()} is in use by {holder} (lock {path}): run the "
                "statement again once it has finished"
            ) from None
        yield
    finally:
        # Closing the file lets go of the lock.
        os.close(fd)


def _busy(settings: Settings, duckdb_message: str) -> WarehouseBusyError:
    held = re.search(r"\(PID (\d+)\)", duckdb_message)
    who = f"process {held.group(1)}" if held else "another process"
    return WarehouseBusyError(
        f"{settings.describe()} is being written by {who} (a run from the Dagster UI or its "
        "daemon, or another program with the file open): run the statement again once it "
        "has finished"
    )


def _check_warehouse_exists(settings: Settings) -> None:
    path = settings.warehouse_path
    if settings.target != "postgres" and not path.is_file():
        raise WarehouseNotFoundError(
            f"No warehouse at {path}: run `make demo` first (or `sales-tracker run` on your "
            "sources), or point SALES_TRACKER_WAREHOUSE (or --warehouse) at a DuckDB file"
        )


def _database_errors(settings: Settings) -> tuple[type[Exception], ...]:
    if settings.target == "postgres":
        import psycopg2

        return (psycopg2.Error,)
    import duckdb

    return (duckdb.Error,)


def _schema_rank(schema: str) -> tuple[int, str]:
    order = SCHEMA_ORDER.index(schema) if schema in SCHEMA_ORDER else len(SCHEMA_ORDER)
    return order, schema


def _banner(settings: Settings) -> str:
    if settings.target == "postgres":
        how = "each statement runs in a read-only session of its own"
    else:
        how = (
            "each statement opens the file and closes it again, so the shell never keeps "
            "a run waiting, and nothing (SET, temporary tables) carries over"
        )
    return (
        f"sales-tracker sql on {settings.describe()}, read-only: {how}.\n"
        "End statements with ;  .help lists the commands, .quit leaves."
    )


class _History:
    """The prompt's line history (stdlib readline, where Python has it), kept beside the
    warehouse: a state folder, git-ignored in a checkout."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import readline
        except ImportError:
            self.readline = None
            return
        self.readline = readline
        readline.set_history_length(1000)
        if path.is_file():
            readline.read_history_file(path)

    def save(self) -> None:
        if self.readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(self.path)
        except OSError as error:
            print(f"History not saved to {self.path}: {error}", file=sys.stderr)
