"""The marts held against the demo world's ground truth, the same way on every target.

The generator writes the expected KPIs to ``<world>/expected/*.csv`` from its own facts
(demo/truth/). Each mart names the truth it mirrors and its key; values
compare by what the column holds: money (``_amount``) exactly to the cent, counts
exactly, ratios and durations within 1e-9, instants to the microsecond.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ingest.settings import Settings
from orchestration.warehouse import query

Row = dict[str, str]
FLOAT_SUFFIXES = ("_rate", "_attainment", "_coverage", "_days", "_minutes", "_days_in_stage")
TOLERANCE = 1e-9


@dataclass(frozen=True)
class MartTruth:
    """A mart and the ground truth it must equal, row for row, on ``key``."""

    mart: str
    key: tuple[str, ...]
    truth: Callable[[Path], list[Row]]
    # The mart rows the truth covers (a SQL condition), when the mart holds more.
    scope: Callable[[list[Row]], str] | None = None


def read_truth(name: str) -> Callable[[Path], list[Row]]:
    def read(expected: Path) -> list[Row]:
        with (expected / f"{name}.csv").open(newline="") as handle:
            return list(csv.DictReader(handle))

    return read


def activity_daily_truth(expected: Path) -> list[Row]:
    """Calls, meetings and tasks per rep and day beside the emails of the same day; days
    with nothing to count are not rows."""
    counts = ("calls", "calls_connected", "meetings", "visits", "tasks_completed")
    days: dict[tuple[str, str], Row] = defaultdict(
        lambda: dict.fromkeys((*counts, "emails_sent", "emails_received"), "0")
    )
    for row in read_truth("activity_daily")(expected) + read_truth("email_daily")(expected):
        day = days[(row["rep_id"], row["activity_date"])]
        day.update({k: v for k, v in row.items() if k not in ("rep_id", "activity_date")})
    return [
        {"rep_id": rep_id, "activity_date": day, **values}
        for (rep_id, day), values in sorted(days.items())
        if any(int(value) for value in values.values())
    ]


def rep_monthly_truth(expected: Path) -> list[Row]:
    """The rep months of the truth, with the calls, meetings and emails sent in them."""
    activity: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("calls", "meetings", "emails_sent"), 0)
    )
    for row in activity_daily_truth(expected):
        month = activity[(row["rep_id"], row["activity_date"][:8] + "01")]
        for column in month:
            month[column] += int(row[column])
    rows = read_truth("rep_performance_monthly")(expected)
    columns = list(rows[0]) if rows else []
    for row in rows:
        row.update({k: str(v) for k, v in activity.pop((row["rep_id"], row["month"]), {}).items()})
    # A month with activity only: nothing closed, no quota, the activity counted.
    for (rep_id, month), counts in activity.items():
        row = dict.fromkeys(columns, "") | {"rep_id": rep_id, "month": month}
        row |= {"bookings_amount": "0", "deals_won": "0", "deals_lost": "0"}
        rows.append(row | {k: str(v) for k, v in counts.items()})
    for row in rows:
        for column in ("calls", "meetings", "emails_sent"):
            row.setdefault(column, "0")
    # Discount depth and the email reply rate live on the same rows; a rep month absent
    # from their truth had no won deal with line items, no outbound thread: counts and
    # line sums 0 (as bookings are), rates empty (0 / 0).
    for name, absent in (
        ("discount_depth", DISCOUNT_DEPTH_ABSENT),
        ("email_reply_rate_monthly", REPLY_RATE_ABSENT),
    ):
        extra = {(row["rep_id"], row["month"]): row for row in read_truth(name)(expected)}
        for row in rows:
            found = extra.pop((row["rep_id"], row["month"]), absent)
            row.update({k: v for k, v in found.items() if k not in ("rep_id", "month")})
        # Every such month is a month with a won deal or an email sent, hence a row.
        rows += [
            dict.fromkeys(columns, "") | {"rep_id": key[0], "month": key[1], **values}
            for key, values in extra.items()
        ]
    return rows


DISCOUNT_DEPTH_ABSENT = {
    "deals_won_with_lines": "0",
    "line_net_amount": "0",
    "line_list_amount": "0",
    "discount_depth_rate": "",
}
REPLY_RATE_ABSENT = {"outbound_threads": "0", "replied_threads": "0", "email_reply_rate": ""}


def months_from_first_in(rows: list[Row]) -> str:
    """The months the truth computes: the generator's world starts at its first one."""
    return f"month >= cast('{min(row['month'] for row in rows)}' as date)"


def snapshot_dates_in(rows: list[Row]) -> str:
    dates = sorted({row["snapshot_date"] for row in rows})
    return "snapshot_date in (" + ", ".join(f"cast('{day}' as date)" for day in dates) + ")"


MARTS = (
    MartTruth("mart_rep_performance_monthly", ("rep_id", "month"), rep_monthly_truth),
    MartTruth(
        "mart_team_performance_monthly",
        ("team_name", "month"),
        read_truth("team_performance_monthly"),
    ),
    MartTruth(
        "mart_funnel_conversion",
        ("pipeline_name", "cohort_month", "stage_name"),
        read_truth("funnel_conversion"),
    ),
    MartTruth(
        "mart_stage_durations",
        ("pipeline_name", "stage_name", "month"),
        read_truth("stage_durations"),
    ),
    MartTruth(
        "mart_pipeline_daily",
        ("snapshot_date", "pipeline_name", "stage_name", "rep_id"),
        read_truth("pipeline_snapshots"),
        scope=snapshot_dates_in,
    ),
    MartTruth(
        "mart_bookings_by_source", ("lead_source", "month"), read_truth("bookings_by_source")
    ),
    MartTruth("mart_lead_response", ("contact_id",), read_truth("lead_response")),
    MartTruth("mart_activity_daily", ("rep_id", "activity_date"), activity_daily_truth),
    MartTruth("mart_ar_aging", ("snapshot_date", "customer_id"), read_truth("ar_aging")),
    MartTruth("mart_payment_followup", ("invoice_id",), read_truth("payment_followup")),
    MartTruth("mart_revenue_monthly", ("month",), read_truth("revenue_monthly")),
    MartTruth(
        "mart_rep_attainment_quarterly",
        ("rep_id", "quarter"),
        read_truth("rep_attainment_quarterly"),
    ),
    MartTruth(
        "mart_pipeline_coverage_monthly",
        ("rep_id", "month"),
        read_truth("pipeline_coverage_monthly"),
        scope=months_from_first_in,
    ),
    MartTruth("mart_lead_conversion_monthly", ("month",), read_truth("lead_conversion_monthly")),
    MartTruth(
        "mart_reconciliation", ("issue", "deal_id", "invoice_id"), read_truth("reconciliation")
    ),
)


def mismatches(settings: Settings, spec: MartTruth, expected: Path) -> list[str]:
    """Every difference between the mart and its truth, each naming the mart, the key and
    both values; empty when they are equal."""
    truth_rows = spec.truth(expected)
    columns = list(truth_rows[0]) if truth_rows else list(spec.key)
    where = f" where {spec.scope(truth_rows)}" if spec.scope and truth_rows else ""
    frame = query(settings, f"select {', '.join(columns)} from marts.{spec.mart}{where}")
    mart_rows = {
        tuple(_key_text(row[k]) for k in spec.key): row for row in frame.to_dict("records")
    }
    truth = {tuple(row[k] for k in spec.key): row for row in truth_rows}
    problems = [
        f"{spec.mart} {key}: in the truth, not in the mart"
        for key in truth.keys() - mart_rows.keys()
    ]
    problems += [
        f"{spec.mart} {key}: in the mart, not in the truth"
        for key in mart_rows.keys() - truth.keys()
    ]
    for key in sorted(truth.keys() & mart_rows.keys()):
        for column in columns:
            if column in spec.key:
                continue
            got, want = mart_rows[key][column], truth[key][column]
            if not values_equal(column, got, want):
                problems.append(f"{spec.mart} {key} {column}: mart {got!r}, truth {want!r}")
    return sorted(problems)


def values_equal(column: str, got: Any, want: str) -> bool:
    if got is None or (not isinstance(got, str) and pd.isna(got)):
        return want == ""
    if want == "":
        return False
    if column.endswith("_amount"):
        return Decimal(str(got)) == Decimal(want)
    if column.endswith("_at"):
        return pd.Timestamp(got).tz_convert("UTC") == pd.Timestamp(want).tz_convert("UTC")
    if want in ("true", "false"):
        return bool(got) == (want == "true")
    if column.endswith(FLOAT_SUFFIXES) or column == "enps":
        return math.isclose(float(got), float(want), rel_tol=0, abs_tol=TOLERANCE)
    if want.lstrip("-").isdigit():
        return int(got) == int(want)
    return _key_text(got) == want


def _key_text(value: Any) -> str:
    """A key value as the truth's CSV writes it: ISO dates, plain integers, text."""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)
