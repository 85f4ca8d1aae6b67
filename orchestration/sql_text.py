"""Text in and out of the SQL shell: statements cut from typed lines, results as a table."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

NULL = "NULL"


class StatementSplitter:
    """Cuts SQL typed line by line into statements at the semicolons that end them: not
    those inside quotes ('...', "...") or comments (--, /* */), which may span lines.

    A statement is only made of what precedes its semicolon; text holding no code (blank,
    comments only) is never a statement."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._text = ""
        self._quote: str | None = None
        self._in_block_comment = False
        self._has_code = False

    @property
    def in_statement(self) -> bool:
        """Whether the text so far begins a statement (or a quote or comment) yet unended."""
        return self._has_code or self._quote is not None or self._in_block_comment

    def feed(self, line: str) -> list[str]:
        """The statements ``line`` (with its newline) completes; the rest is kept."""
        statements: list[str] = []
        start = 0
        i = 0
        while i < len(line):
            char = line[i]
            if self._quote is not None:
                # A doubled quote inside a literal closes and reopens it: same effect.
                if char == self._quote:
                    self._quote = None
            elif self._in_block_comment:
                if line.startswith("*/", i):
                    self._in_block_comment = False
                    i += 1
            elif line.startswith("--", i):
                break
            elif line.startswith("/*", i):
                self._in_block_comment = True
                i += 1
            elif char == ";":
                if self._has_code:
                    statements.append((self._text + line[start:i]).strip())
                self._text, self._has_code = "", False
                start = i + 1
            else:
                if char in "'\"":
                    self._quote = char
                if not char.isspace():
                    self._has_code = True
            i += 1
        self._text += line[start:]
        return statements

    def finish(self) -> str | None:
        """The unended statement at the end of the input, if any (run as if ended)."""
        statement = self._text.strip() if self._has_code else None
        self.reset()
        return statement


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned text table: NULL for a missing value, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max([len(name), *(len(row[index]) for row in cells)]) for index, name in enumerate(columns)
    ]
    numeric = [
        any(row[index] is not None for row in rows)
        and all(row[index] is None or _is_number(row[index]) for row in rows)
        for index in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    header = " | ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True))
    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([header.rstrip(), rule, *(line(row) for row in cells)])


def row_count_note(shown: int, more: int) -> str:
    """The line under a result: how many rows, and how many the cap left out."""
    if more:
        rows = "1 row" if shown == 1 else f"{shown:,} rows"
        return f"({rows} shown, {more:,} more rows: raise --max-rows, or 0 for all)"
    return "(1 row)" if shown == 1 else f"({shown:,} rows)"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if value is None:
        return NULL
    # One line per row: a line break inside a value is shown, not followed.
    return str(value).replace("\r", "\\r").replace("\n", "\\n")
