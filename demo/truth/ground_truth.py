"""The ground truth: KPIs of kpis.md computed from the world's facts, never from exports.

Conventions, as kpis.md states them: periods are cut in the company time zone; a deal
counts for its owner at close; amounts convert at the close day's FX rate (the latest
earlier rate when none was published) and are rounded half up to cents per deal;
archived and test deals leave every measure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.formats.files import write_csv
from demo.formats.stripe import major_units
from demo.world.accounts import Company
from demo.world.activities import CALL_DISPOSITIONS, Activity
from demo.world.fx import FxRates
from demo.world.org import Org
from demo.world.people_files import SurveyResponse
from demo.world.quotes import DealLines
from demo.world.scales import COMPANY_TIMEZONE

CENT = Decimal("0.01")
REP_MONTHLY_COLUMNS = [
    "rep_id",
    "month",
    "bookings_amount",
    "deals_won",
    "deals_lost",
    "win_rate",
    "win_rate_by_amount",
    "avg_deal_size_amount",
    "median_deal_size_amount",
    "avg_sales_cycle_days",
    "median_sales_cycle_days",
    "quota_amount",
    "quota_attainment",
]
ENPS_COLUMNS = [
    "survey_id",
    "survey_date",
    "team_name",
    "responses",
    "active_reps",
    "response_rate",
    "promoters_rate",
    "detractors_rate",
    "enps",
]
DISCOUNT_DEPTH_COLUMNS = [
    "rep_id",
    "month",
    "deals_won_with_lines",
    "line_net_amount",
    "line_list_amount",
    "discount_depth_rate",
]
ACTIVITY_DAILY_COLUMNS = [
    "rep_id",
    "activity_date",
    "calls",
    "calls_connected",
    "meetings",
    "visits",
    "tasks_completed",
]


@dataclass
class _RepMonth:
    won: list[Decimal] = field(default_factory=list)
    lost: list[Decimal] = field(default_factory=list)
    cycle_days: list[int] = field(default_factory=list)
    # Won deals with CRM line items: (net, at the list price), summed per line in cents.
    lined_deals: int = 0
    line_net: Decimal = Decimal(0)
    line_list: Decimal = Decimal(0)


@dataclass
class TruthPart:
    """What a worker hands back: its share of the aggregates, to be merged."""

    rep_months: dict[tuple[str, date], _RepMonth]
    activity_days: dict[tuple[str, date], dict[str, int]]


class GroundTruth:
    def __init__(self, fx: FxRates, reporting_currency: str = "USD") -> None:
        self.fx = fx
        self.reporting_currency = reporting_currency
        self.zone = ZoneInfo(COMPANY_TIMEZONE)
        self.rep_months: dict[tuple[str, date], _RepMonth] = defaultdict(_RepMonth)
        self.activity_days: dict[tuple[str, date], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(ACTIVITY_DAILY_COLUMNS[2:], 0)
        )
        self.quotas: dict[tuple[str, date], Decimal] = {}

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add_company(self, company: Company) -> None:
        for deal in company.deals:
            if not deal.counts or deal.outcome is None:
                continue
            close_day = self.local_date(deal.closed_at)
            amount = self.fx.convert(
                deal.amount_at(deal.closed_at), deal.currency, self.reporting_currency, close_day
            )
            bucket = self.rep_months[(deal.owner_at(deal.closed_at), close_day.replace(day=1))]
            if deal.outcome == "won":
                bucket.won.append(amount)
                bucket.cycle_days.append((close_day - self.local_date(deal.created_at)).days)
            else:
                bucket.lost.append(amount)

    def add_deal_lines(self, deal_lines: DealLines) -> None:
        """Discount depth: 1 - net / list amount of the lines of won deals, each line
        converted at the close day's rate and rounded to cents."""
        deal = deal_lines.deal
        if not deal.counts or deal.outcome != "won" or not deal_lines.in_crm:
            return
        close_day = self.local_date(deal.closed_at)
        bucket = self.rep_months[(deal.owner_at(deal.closed_at), close_day.replace(day=1))]
        bucket.lined_deals += 1
        for line in deal_lines.lines:
            bucket.line_net += self._convert(line.net_amount, deal.currency, close_day)
            bucket.line_list += self._convert(
                line.quantity * line.list_unit_price, deal.currency, close_day
            )

    def _convert(self, minor: int, currency: str, day: date) -> Decimal:
        return self.fx.convert(major_units(minor, currency), currency, self.reporting_currency, day)

    def add_activity(self, activity: Activity) -> None:
        if activity.kind == "tasks":
            if activity.completed_at:
                day = self.local_date(activity.completed_at)
                self.activity_days[(activity.owner_id, day)]["tasks_completed"] += 1
            return
        counts = self.activity_days[(activity.owner_id, self.local_date(activity.at))]
        if activity.kind == "calls":
            counts["calls"] += 1
            disposition = activity.properties["hs_call_disposition"]
            counts["calls_connected"] += CALL_DISPOSITIONS[disposition] == "Connected"
        elif activity.kind == "meetings":
            counts["meetings"] += 1
            counts["visits"] += activity.properties["hs_activity_type"] == "In-person Visit"

    def part(self) -> TruthPart:
        return TruthPart(dict(self.rep_months), {k: dict(v) for k, v in self.activity_days.items()})

    def merge(self, part: TruthPart) -> None:
        for key, bucket in part.rep_months.items():
            mine = self.rep_months[key]
            mine.won += bucket.won
            mine.lost += bucket.lost
            mine.cycle_days += bucket.cycle_days
            mine.lined_deals += bucket.lined_deals
            mine.line_net += bucket.line_net
            mine.line_list += bucket.line_list
        for key, counts in part.activity_days.items():
            mine_counts = self.activity_days[key]
            for name, count in counts.items():
                mine_counts[name] += count

    def add_quota(self, rep_id: str, month: date, amount: Decimal) -> None:
        self.quotas[(rep_id, month)] = amount

    def write_enps(self, folder: Path, org: Org, responses: list[SurveyResponse]) -> None:
        """eNPS per team and survey: % promoters (9-10) - % detractors (0-6) as fractions;
        the response rate over the team's reps active on the survey date; no score under 3
        responses (anonymity)."""
        by_team: dict[tuple[str, date, str], list[int]] = defaultdict(list)
        for response in responses:
            key = (response.survey_id, response.survey_date, response.team_id)
            by_team[key].append(response.score)
        names = {team.team_id: team.name for team in org.teams}
        rows = []
        for survey_id, survey_date in sorted({(r.survey_id, r.survey_date) for r in responses}):
            for team in org.teams:
                scores = by_team.get((survey_id, survey_date, team.team_id), [])
                active = sum(
                    rep.is_active(survey_date) and rep.team_on(survey_date) == team.team_id
                    for rep in org.reps
                )
                if not active and not scores:
                    continue
                shown = len(scores) >= 3
                promoters = _ratio(sum(score >= 9 for score in scores), len(scores))
                detractors = _ratio(sum(score <= 6 for score in scores), len(scores))
                rows.append(
                    {
                        "survey_id": survey_id,
                        "survey_date": survey_date.isoformat(),
                        "team_name": names[team.team_id],
                        "responses": len(scores),
                        "active_reps": active,
                        "response_rate": _ratio(len(scores), active),
                        "promoters_rate": promoters if shown else "",
                        "detractors_rate": detractors if shown else "",
                        "enps": repr(float(promoters) - float(detractors)) if shown else "",
                    }
                )
        write_csv(folder / "enps.csv", ENPS_COLUMNS, rows)

    def write(self, folder: Path) -> None:
        write_csv(
            folder / "rep_performance_monthly.csv", REP_MONTHLY_COLUMNS, self._rep_monthly_rows()
        )
        write_csv(
            folder / "discount_depth.csv", DISCOUNT_DEPTH_COLUMNS, self._discount_depth_rows()
        )
        write_csv(
            folder / "activity_daily.csv",
            ACTIVITY_DAILY_COLUMNS,
            (
                {"rep_id": rep_id, "activity_date": day.isoformat(), **counts}
                for (rep_id, day), counts in sorted(self.activity_days.items())
            ),
        )

    def _discount_depth_rows(self):
        for (rep_id, month), bucket in sorted(self.rep_months.items()):
            if bucket.lined_deals:
                yield {
                    "rep_id": rep_id,
                    "month": month.isoformat(),
                    "deals_won_with_lines": bucket.lined_deals,
                    "line_net_amount": bucket.line_net,
                    "line_list_amount": bucket.line_list,
                    "discount_depth_rate": repr(
                        1 - float(bucket.line_net) / float(bucket.line_list)
                    ),
                }

    def _rep_monthly_rows(self):
        """One row per rep and month with a closed deal or a quota."""
        for rep_id, month in sorted(set(self.rep_months) | set(self.quotas)):
            bucket = self.rep_months.get((rep_id, month), _RepMonth())
            won, lost = sum(bucket.won, Decimal(0)), sum(bucket.lost, Decimal(0))
            quota = self.quotas.get((rep_id, month))
            closed = len(bucket.won) + len(bucket.lost)
            yield {
                "rep_id": rep_id,
                "month": month.isoformat(),
                "bookings_amount": won,
                "deals_won": len(bucket.won),
                "deals_lost": len(bucket.lost),
                "win_rate": _ratio(len(bucket.won), closed),
                "win_rate_by_amount": _ratio(won, won + lost),
                "avg_deal_size_amount": _cents(statistics.mean(bucket.won)) if bucket.won else "",
                "median_deal_size_amount": _cents(statistics.median(bucket.won))
                if bucket.won
                else "",
                "avg_sales_cycle_days": _ratio(sum(bucket.cycle_days), len(bucket.cycle_days)),
                "median_sales_cycle_days": statistics.median(bucket.cycle_days)
                if bucket.cycle_days
                else "",
                "quota_amount": quota if quota is not None else "",
                "quota_attainment": _ratio(won, quota) if quota else "",
            }


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(numerator, denominator) -> str:
    """A fraction written with enough digits to compare against a float mart column."""
    return "" if not denominator else repr(float(numerator) / float(denominator))
