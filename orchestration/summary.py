"""The KPI summary printed after a run: what a sales manager would glance at first."""

from __future__ import annotations

import pandas as pd

from ingest.crm.export_source import unknown_export_files as unknown_crm_files
from ingest.exports import REJECTS_TABLE
from ingest.files import unknown_files
from ingest.payments.export_source import unknown_export_files as unknown_payments_files
from ingest.pipeline import raw_dataset
from ingest.settings import Settings
from orchestration.warehouse import query, table_exists

MONTHLY_TOTALS = """
select
    month,
    sum(bookings_amount) as bookings_amount,
    sum(deals_won) as deals_won,
    sum(deals_lost) as deals_lost
from marts.mart_rep_performance_monthly
group by month
having sum(deals_won) + sum(deals_lost) > 0
order by month
"""

# The latest month anyone closed a deal in: the freshest complete picture of the team.
TOP_REPS = """
select
    rep_name,
    team_name,
    bookings_amount,
    quota_attainment,
    deals_won,
    deals_lost,
    win_rate
from marts.mart_rep_performance_monthly
where month = (
    select max(month) from marts.mart_rep_performance_monthly where deals_won + deals_lost > 0
)
order by bookings_amount desc, quota_attainment desc, rep_name
limit 5
"""

TOP_ATTAINMENT = """
select
    rep_name,
    team_name,
    quota_attainment,
    bookings_amount,
    quota_amount
from marts.mart_rep_performance_monthly
where month = (
    select max(month) from marts.mart_rep_performance_monthly where deals_won + deals_lost > 0
)
    and quota_attainment is not null
order by quota_attainment desc, rep_name
limit 3
"""

LEAD_RESPONSE = """
select response_minutes, response_business_minutes, answered_within_1h, answered_within_24h
from marts.mart_lead_response
"""

OVERDUE = """
select
    count(*) as invoices,
    sum(amount_due_amount) as amount_due_amount,
    max(days_overdue) as oldest
from marts.mart_payment_followup
"""


def kpi_summary(settings: Settings, source_names: list[str]) -> str:
    monthly = query(settings, MONTHLY_TOTALS)
    if monthly.empty:
        return "No closed deals in the warehouse yet: marts.mart_rep_performance_monthly is empty."
    monthly["win_rate"] = monthly["deals_won"] / (monthly["deals_won"] + monthly["deals_lost"])
    top = query(settings, TOP_REPS)
    currency = settings.reporting_currency
    latest = monthly["month"].iloc[-1]
    return "\n".join(
        [
            f"Bookings by month ({currency}, company time zone {settings.company_timezone})",
            _table(monthly, money=["bookings_amount"], ratio=["win_rate"]),
            "",
            f"Top reps in {latest:%Y-%m}, by bookings (attainment of the month's quota)",
            _table(top, money=["bookings_amount"], ratio=["win_rate", "quota_attainment"]),
            "",
            f"Top reps in {latest:%Y-%m}, by quota attainment",
            _table(
                query(settings, TOP_ATTAINMENT),
                money=["bookings_amount", "quota_amount"],
                ratio=["quota_attainment"],
            ),
            "",
            lead_response_summary(settings),
            overdue_summary(settings, currency),
            "",
            quarantine_summary(settings, source_names),
        ]
    )


def lead_response_summary(settings: Settings) -> str:
    responses = query(settings, LEAD_RESPONSE)
    if responses.empty:
        return "Lead response: no first inbound emails from contacts (is the email source loaded?)."
    answered = responses.dropna(subset=["response_minutes"])
    if answered.empty:
        return f"Lead response: {len(responses):,} first inbound emails, none answered."
    calendar = answered["response_minutes"].astype(float).median()
    business = answered["response_business_minutes"].astype(float).median()
    within_1h = responses["answered_within_1h"].fillna(False).astype(bool).mean()
    within_24h = responses["answered_within_24h"].fillna(False).astype(bool).mean()
    return (
        f"Lead response: median {_duration(calendar)} ({_duration(business)} of business "
        f"hours) over {len(responses):,} first inbound emails; answered within 1 h "
        f"{within_1h:.0%}, within 24 h {within_24h:.0%}."
    )


def overdue_summary(settings: Settings, currency: str) -> str:
    overdue = query(settings, OVERDUE).iloc[0]
    if not overdue["invoices"]:
        return "Overdue invoices: none."
    return (
        f"Overdue invoices: {int(overdue['invoices']):,}, {overdue['amount_due_amount']:,.2f} "
        f"{currency} due, the oldest {int(overdue['oldest']):,} days past due "
        "(marts.mart_payment_followup)."
    )


def _duration(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def quarantine_summary(settings: Settings, source_names: list[str]) -> str:
    """One line per source: how many records it quarantined, by object type; then the
    files the folders hold that no source reads, if any."""
    lines = []
    for name in source_names:
        dataset = raw_dataset(name)
        if not table_exists(settings, dataset, REJECTS_TABLE):
            lines.append(f"Quarantined {name} records: none.")
            continue
        counts = query(
            settings,
            f"select object_type, count(*) as n from {dataset}.{REJECTS_TABLE} "
            "group by object_type order by n desc, object_type",
        )
        total = int(counts["n"].sum())
        detail = ", ".join(f"{n:,} {kind}" for kind, n in counts.itertuples(index=False))
        lines.append(
            f"Quarantined {name} records: {total:,} ({detail}); reasons and payloads in "
            f"{dataset}.{REJECTS_TABLE}."
        )
    return "\n".join([*lines, *unknown_files_lines(settings)])


def unknown_files_lines(settings: Settings) -> list[str]:
    """One line per source folder holding names no resource reads (a misspelt file)."""
    folders = (
        ("files", "SALES_TRACKER_FILES_DIR", settings.files_dir, unknown_files),
        ("CRM export", "SALES_TRACKER_CRM_EXPORT", settings.crm_export_dir, unknown_crm_files),
        (
            "payments export",
            "SALES_TRACKER_PAYMENTS_EXPORT",
            settings.payments_export_dir,
            unknown_payments_files,
        ),
    )
    return [
        f"Ignored in the {name} folder {folder} ({variable}), read by no source: "
        f"{', '.join(names)}."
        for name, variable, folder, unknown in folders
        if (names := unknown(folder))
    ]


def raw_table_counts(settings: Settings, tables: dict[str, tuple[str, ...]]) -> str:
    """The rows each raw table holds, one line per table."""
    lines = []
    for source_name, names in tables.items():
        dataset = raw_dataset(source_name)
        for table in names:
            rows = 0
            if table_exists(settings, dataset, table):
                rows = int(query(settings, f"select count(*) as n from {dataset}.{table}")["n"][0])
            lines.append((f"{dataset}.{table}", rows))
    width = max((len(name) for name, _ in lines), default=0)
    return "\n".join(f"{name.ljust(width)}  {rows:>12,}" for name, rows in lines)


def _table(frame: pd.DataFrame, money: list[str], ratio: list[str]) -> str:
    shown = frame.copy()
    for column in shown.columns:
        if column in money:
            shown[column] = [f"{value:,.2f}" for value in shown[column]]
        elif column in ratio:
            shown[column] = ["-" if pd.isna(value) else f"{value:.1%}" for value in shown[column]]
        elif column == "month":
            shown[column] = [f"{value:%Y-%m}" for value in shown[column]]
    return shown.to_string(index=False)
