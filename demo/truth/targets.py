"""The ground truth of targets, commissions and the forecast (kpis.md "Targets,
commissions and people", "weighted forecast", "pipeline coverage"), from the facts.

Computed from the CRM ``Company`` facts, the Stripe ``CustomerPayments`` facts (the
payments pass of ``generate_world`` hands each company with its facts to
``add_company``), the quotas (``add_quota``) and the commission plan file
(``people_files.COMMISSION_PLAN``, parsed with ``yaml.safe_load``, so a changed plan
changes the truth). Chunked workers each fill a ``TargetsTruth``, hand back ``part()``
(picklable) and the main process ``merge``s them, as ``GroundTruth`` does; every
aggregate is an exact sum of cents (or of cents x a one-digit probability), so the merge
order does not matter, and every derived number is computed at ``write``.

Conventions, as in ``ground_truth.py`` and ``pipeline.py``: days, months and quarters are
cut in the company time zone (Asia/Jakarta) and written as their first day; archived and
test deals (``deal.counts`` False) leave every measure; a won deal counts for its owner
at the close instant, in its Jakarta close month, for its amount at close converted at
the close day's rate (the latest earlier one when none was published) and rounded half up
to cents per deal (its *bookings*); a Stripe amount (minor units) converts at its own
Jakarta day, rounded per charge and per refund; ratios are written with ``_ratio`` (a
float's repr), empty where the denominator is zero or missing. A *quota* is the rep's
monthly quota; a quota of zero counts as no quota. The *state of a deal as of an
instant* (stage, owner, amount, close date) is the latest value of each history changed
strictly before the instant (``pipeline.open_states``); the deal is open then when
it was created before the instant and its stage is an open stage of its pipeline.

``rep_attainment_quarterly.csv``: one row per rep and quarter with a quota or a booking.
- ``bookings_amount``: the rep's bookings in the quarter's three months.
- ``quota_amount``: the sum of the rep's monthly quotas in the quarter (empty without
  any); ``quota_attainment`` = bookings / quota.

``leaderboard_monthly.csv``: one row per month and rep with a quota that month.
- The score is quota attainment = bookings / quota (compared exactly, not as floats);
  ranks run 1..n by attainment descending, ties by bookings descending, then rep_id
  ascending (no shared ranks).
- ``streak_months``: the number of consecutive calendar months ending with this one in
  which the rep had a quota and an attainment >= 1 (0 when this month's is below 1; a
  month without quota ends a streak).

``commissions_monthly.csv``: one row per rep and month with a quota, a commissionable
base or a clawback.
- ``commissionable_amount`` (the plan's ``commissionable_base``): ``bookings``: the
  month's bookings; ``collected_cash``: the succeeded charges, by their Jakarta day, on
  the invoices (``deal_id``) of the rep's counted won deals (owner at close), each
  converted at its day and rounded; gross of refunds, which are handled by clawback only
  (never twice). Charges on invoices without a deal earn nothing.
- ``quota_attainment`` = commissionable / quota: the attainment the tiers read (equal to
  the KPI's bookings / quota on a bookings plan). Empty without quota.
- Earned, with tiers ``from`` (an attainment, inclusive) -> ``rate``: ``marginal``: each
  slice of the base between ``from x quota`` and the next tier's ``from x quota`` at its
  tier's rate; ``flat``: the whole base at the rate of the highest tier whose ``from``
  is at most the attainment. Then the cap (``cap_amount`` per rep and month; none when
  absent): ``capped`` is ``true`` when the exact earned amount exceeds it. The result is
  rounded half up to cents once per rep-month. *Without a quota nothing is earned*: the
  row is written with empty quota and attainment and ``earned_amount`` 0.00 (the tiers
  are fractions of a quota; the base stays visible).
- Clawback: every Stripe refund on an invoice of a counted won deal, whose Jakarta day is
  at most ``clawback_window_days`` days after the deal's Jakarta close day (inclusive),
  claws back the refund amount (converted at the refund's day) x the effective rate
  (earned / commissionable, 0 when nothing was commissionable) of the rep-month that
  commissioned the refunded money: the deal's owner at close, in the close month
  (``bookings``) or in the month of the refunded charge (``collected_cash``). It is
  booked in the refund's month against that rep, summed exactly and rounded half up to
  cents once per rep-month. No window in the plan: no clawback.
- ``net_payout_amount`` = earned - clawback (negative when a month has only clawbacks).
- The plan's ``currency`` must be the reporting currency (the cap is in it).

``weighted_forecast.csv``: company-wide, for each *as-of date* (by default every month's
first day from WORLD_START's Jakarta month to WORLD_END's, 2024-11-01 to 2026-10-01) and
each of the as-of month and the two months after it (``forecast_month``; zeros written):
- The instant is the Jakarta midnight starting the as-of date.
- ``open_weighted_amount``: the deals open at that instant whose close date as of the
  instant falls (Jakarta) in the forecast month, each amount as of the instant converted
  at the as-of date's rate and rounded to cents, x the probability of its stage as of the
  instant (the pipeline definition); summed exactly, rounded half up once per row. A
  later change (a close date pushed out, a new stage, a close) does not move it; an open
  deal whose close date is already past counts in no month.
- ``closed_bookings_amount``: bookings of won deals closed in the forecast month strictly
  before the instant (always 0.00 on a month's first day; kept for intra-month as-of
  dates, which ``forecast_as_of`` allows).
- ``weighted_forecast_amount`` = open weighted + closed bookings.

``pipeline_coverage_monthly.csv``: as of each world month's first instant (as above),
one row per rep and month with a quota or an open deal closing in the month.
- ``open_pipeline_amount``: the deals open at that instant, owned then by the rep (owner
  as of the instant), with a close date as of the instant in the month; amounts as of
  the instant converted at the month's first day's rate, rounded per deal.
- ``bookings_so_far_amount``: bookings of the month before the instant (0.00 at a
  month's start). ``pipeline_coverage`` = open / (quota - bookings so far); empty without
  quota or when that denominator is not positive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from demo.formats.files import write_csv
from demo.formats.stripe import major_units
from demo.truth.ground_truth import GroundTruth, _cents, _ratio
from demo.truth.payments import shift_month
from demo.truth.pipeline import open_states, stage_probabilities
from demo.world.accounts import Company
from demo.world.fx import FxRates
from demo.world.org import Org
from demo.world.payments import CustomerPayments
from demo.world.scales import COMPANY_TIMEZONE, WORLD_END, WORLD_START

ZERO = Decimal("0.00")
FORECAST_MONTHS = 3  # the as-of month and the two after it
QUARTERLY_COLUMNS = ["rep_id", "quarter", "bookings_amount", "quota_amount", "quota_attainment"]
LEADERBOARD_COLUMNS = [
    "month",
    "rep_id",
    "rank",
    "quota_attainment",
    "bookings_amount",
    "streak_months",
]
COMMISSION_COLUMNS = [
    "rep_id",
    "month",
    "commissionable_amount",
    "quota_amount",
    "quota_attainment",
    "earned_amount",
    "capped",
    "clawback_amount",
    "net_payout_amount",
]
FORECAST_COLUMNS = [
    "as_of_date",
    "forecast_month",
    "open_weighted_amount",
    "closed_bookings_amount",
    "weighted_forecast_amount",
]
COVERAGE_COLUMNS = [
    "rep_id",
    "month",
    "open_pipeline_amount",
    "quota_amount",
    "bookings_so_far_amount",
    "pipeline_coverage",
]


@dataclass(frozen=True)
class CommissionPlan:
    base: str  # bookings | collected_cash
    tiers: tuple[tuple[Decimal, Decimal], ...]  # (from attainment, rate), ascending
    method: str  # marginal | flat
    cap: Decimal | None
    clawback_days: int | None
    currency: str

    @classmethod
    def parse(cls, text: str) -> CommissionPlan:
        plan = yaml.safe_load(text)
        tiers = tuple(
            sorted((_decimal(tier["from"]), _decimal(tier["rate"])) for tier in plan["tiers"])
        )
        base, method = plan.get("commissionable_base", "bookings"), plan.get("method", "marginal")
        if base not in ("bookings", "collected_cash"):
            raise ValueError(f"unknown commissionable_base {base!r}")
        if method not in ("marginal", "flat"):
            raise ValueError(f"unknown commission method {method!r}")
        if not tiers or tiers[0][0] != 0:
            raise ValueError("commission tiers must start from attainment 0")
        cap, window = plan.get("cap_amount"), plan.get("clawback_window_days")
        return cls(
            base,
            tiers,
            method,
            None if cap is None else _decimal(cap),
            None if window is None else int(window),
            plan.get("currency", "USD"),
        )

    def earned(self, base: Decimal, quota: Decimal) -> tuple[Decimal, bool]:
        """The exact commission on ``base`` against ``quota`` (> 0), capped; and if capped."""
        if self.method == "flat":
            attainment = base / quota
            rate = next(rate for start, rate in reversed(self.tiers) if start <= attainment)
            earned = base * rate
        else:
            earned = Decimal(0)
            bounds = [start * quota for start, _ in self.tiers[1:]] + [None]
            for (start, rate), end in zip(self.tiers, bounds, strict=True):
                top = base if end is None else min(base, end)
                earned += max(top - start * quota, Decimal(0)) * rate
        if self.cap is not None and earned > self.cap:
            return self.cap, True
        return earned, False


@dataclass
class TargetsPart:
    """What a worker hands back: its share of the aggregates, to be merged."""

    bookings: dict[tuple[str, date], Decimal]  # (rep, close month)
    cash: dict[tuple[str, date], Decimal]  # (rep, charge month)
    refunds: dict[tuple[str, date, date], Decimal]  # (rep, commissioned month, refund month)
    forecast_open: dict[tuple[date, date], Decimal]  # (as of, forecast month): exact
    forecast_closed: dict[tuple[date, date], Decimal]
    coverage: dict[tuple[str, date], Decimal]  # (rep, month): open amount
    quotas: dict[tuple[str, date], Decimal]


class TargetsTruth:
    local_date = GroundTruth.local_date  # the same Jakarta cut as ground_truth.py

    def __init__(
        self,
        org: Org,
        fx: FxRates,
        plan_yaml: str,
        reporting_currency: str = "USD",
        forecast_as_of: Iterable[date] | None = None,
    ) -> None:
        self.org = org
        self.fx = fx
        self.reporting_currency = reporting_currency
        self.zone = ZoneInfo(COMPANY_TIMEZONE)
        self.plan = CommissionPlan.parse(plan_yaml)
        if self.plan.currency != reporting_currency:
            raise ValueError(
                f"the plan is in {self.plan.currency}, the truth in {reporting_currency}"
            )
        self._probability = stage_probabilities()
        month, last = self.local_date(WORLD_START).replace(day=1), self.local_date(WORLD_END)
        self.months: list[date] = []
        while month <= last:
            self.months.append(month)
            month = shift_month(month, 1)
        self._month_instants = [self._start_of(month) for month in self.months]
        self.as_of = sorted(self.months if forecast_as_of is None else set(forecast_as_of))
        self._as_of_instants = (
            self._month_instants
            if self.as_of == self.months
            else [self._start_of(day) for day in self.as_of]
        )
        self.bookings: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        self.cash: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        self.refunds: dict[tuple[str, date, date], Decimal] = defaultdict(Decimal)
        self.forecast_open: dict[tuple[date, date], Decimal] = defaultdict(Decimal)
        self.forecast_closed: dict[tuple[date, date], Decimal] = defaultdict(Decimal)
        self.coverage: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        self.quotas: dict[tuple[str, date], Decimal] = {}

    def _start_of(self, day: date) -> datetime:
        """The Jakarta midnight starting ``day``, in UTC."""
        return datetime.combine(day, time.min, self.zone).astimezone(UTC)

    def _convert(self, amount: Decimal, currency: str, day: date) -> Decimal:
        return self.fx.convert(amount, currency, self.reporting_currency, day)

    # --- adding facts ----------------------------------------------------------------

    def add_company(self, company: Company, facts: CustomerPayments | None) -> None:
        """Add one company's deals and (``facts`` None: never a customer) its payments."""
        won = {}
        for deal in company.deals:
            if not deal.counts:
                continue
            self._add_open(deal)
            if deal.outcome != "won":
                continue
            close_day = self.local_date(deal.closed_at)
            rep_id = deal.owner_at(deal.closed_at)
            won[deal.deal_id] = (rep_id, close_day)
            amount = self._convert(deal.amount_at(deal.closed_at), deal.currency, close_day)
            self.bookings[(rep_id, close_day.replace(day=1))] += amount
            for as_of, instant in zip(self.as_of, self._as_of_instants, strict=True):
                month = close_day.replace(day=1)
                if deal.closed_at < instant and as_of.replace(day=1) <= month < shift_month(
                    as_of.replace(day=1), FORECAST_MONTHS
                ):
                    self.forecast_closed[(as_of, month)] += amount
        if facts is not None:
            self._add_payments(facts, won)

    def _add_open(self, deal) -> None:
        probability = self._probability[deal.pipeline_id]
        states = list(open_states(deal, self._month_instants, probability))
        for position, _, owner, amount, close_date in states:
            month = self.months[position]
            if self.local_date(close_date).replace(day=1) == month:
                self.coverage[(owner, month)] += self._convert(amount, deal.currency, month)
        if self._as_of_instants is not self._month_instants:
            states = list(open_states(deal, self._as_of_instants, probability))
        for position, stage_id, _, amount, close_date in states:
            as_of = self.as_of[position]
            close_month = self.local_date(close_date).replace(day=1)
            first = as_of.replace(day=1)
            if first <= close_month < shift_month(first, FORECAST_MONTHS):
                converted = self._convert(amount, deal.currency, as_of)
                self.forecast_open[(as_of, close_month)] += converted * probability[stage_id]

    def _add_payments(self, facts: CustomerPayments, won: dict[str, tuple[str, date]]) -> None:
        window = self.plan.clawback_days
        for invoice in facts.invoices:
            if invoice.deal_id not in won:
                continue  # no deal, or not a counted won one
            rep_id, close_day = won[invoice.deal_id]
            for payment in invoice.payments:
                for attempt in payment.attempts:
                    if not attempt.succeeded:
                        continue
                    charge_day = self.local_date_of(attempt.at)
                    charged = self._convert(
                        major_units(attempt.amount, invoice.currency), invoice.currency, charge_day
                    )
                    if self.plan.base == "collected_cash":
                        commissioned = charge_day.replace(day=1)
                        self.cash[(rep_id, commissioned)] += charged
                    else:
                        commissioned = close_day.replace(day=1)
                    for refund in attempt.refunds:
                        day = self.local_date_of(refund.at)
                        if window is None or (day - close_day).days > window:
                            continue
                        amount = self._convert(
                            major_units(refund.amount, invoice.currency), invoice.currency, day
                        )
                        self.refunds[(rep_id, commissioned, day.replace(day=1))] += amount

    def local_date_of(self, moment: int) -> date:
        """The Jakarta date of unix second ``moment``."""
        return datetime.fromtimestamp(moment, self.zone).date()

    def add_quota(self, rep_id: str, month: date, amount: Decimal) -> None:
        self.quotas[(rep_id, month)] = amount

    # --- merging -----------------------------------------------------------------------

    def part(self) -> TargetsPart:
        return TargetsPart(
            dict(self.bookings),
            dict(self.cash),
            dict(self.refunds),
            dict(self.forecast_open),
            dict(self.forecast_closed),
            dict(self.coverage),
            dict(self.quotas),
        )

    def merge(self, part: TargetsPart) -> None:
        for mine, theirs in (
            (self.bookings, part.bookings),
            (self.cash, part.cash),
            (self.refunds, part.refunds),
            (self.forecast_open, part.forecast_open),
            (self.forecast_closed, part.forecast_closed),
            (self.coverage, part.coverage),
        ):
            for key, amount in theirs.items():
                mine[key] += amount
        self.quotas.update(part.quotas)

    # --- rows --------------------------------------------------------------------------

    def _quota(self, key: tuple[str, date]) -> Decimal | None:
        quota = self.quotas.get(key)
        return quota if quota else None

    def quarterly_rows(self) -> list[dict[str, object]]:
        bookings: dict[tuple[str, date], Decimal] = defaultdict(lambda: ZERO)
        quotas: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for (rep_id, month), amount in self.bookings.items():
            bookings[(rep_id, _quarter(month))] += amount
        for (rep_id, month), amount in self.quotas.items():
            quotas[(rep_id, _quarter(month))] += amount
        return [
            {
                "rep_id": rep_id,
                "quarter": quarter.isoformat(),
                "bookings_amount": bookings[(rep_id, quarter)],
                "quota_amount": quotas.get((rep_id, quarter), ""),
                "quota_attainment": _ratio(
                    bookings[(rep_id, quarter)], quotas.get((rep_id, quarter))
                ),
            }
            for rep_id, quarter in sorted(set(bookings) | set(quotas))
        ]

    def leaderboard_rows(self) -> list[dict[str, object]]:
        by_month: dict[date, list[tuple[str, Decimal, Decimal]]] = defaultdict(list)
        for (rep_id, month), quota in self.quotas.items():
            if quota:
                by_month[month].append((rep_id, self.bookings.get((rep_id, month), ZERO), quota))
        streaks: dict[str, tuple[date, int]] = {}  # rep: (last month at or above 100%, run)
        rows = []
        for month in sorted(by_month):
            ranked = sorted(by_month[month], key=lambda r: (-r[1] / r[2], -r[1], r[0]))
            for rank, (rep_id, bookings, quota) in enumerate(ranked, start=1):
                streak = 0
                if bookings >= quota:
                    last, run = streaks.get(rep_id, (None, 0))
                    streak = run + 1 if last == shift_month(month, -1) else 1
                    streaks[rep_id] = (month, streak)
                rows.append(
                    {
                        "month": month.isoformat(),
                        "rep_id": rep_id,
                        "rank": rank,
                        "quota_attainment": _ratio(bookings, quota),
                        "bookings_amount": bookings + ZERO,
                        "streak_months": streak,
                    }
                )
        return rows

    def commission_rows(self) -> list[dict[str, object]]:
        bases = self.bookings if self.plan.base == "bookings" else self.cash
        earned: dict[tuple[str, date], tuple[Decimal, bool]] = {}
        for key in set(bases) | set(self.quotas):
            quota = self._quota(key)
            base = bases.get(key, ZERO)
            if quota is None:
                earned[key] = (ZERO, False)
            else:
                amount, capped = self.plan.earned(base, quota)
                earned[key] = (_cents(amount), capped)
        clawbacks: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for rep_id, commissioned, month in sorted(self.refunds):
            base = bases.get((rep_id, commissioned))
            amount = earned.get((rep_id, commissioned), (ZERO, False))[0]
            refunded = self.refunds[(rep_id, commissioned, month)]
            clawbacks[(rep_id, month)] += refunded * amount / base if base else Decimal(0)
        rows = []
        for key in sorted(set(earned) | set(clawbacks)):
            quota = self._quota(key)
            base = bases.get(key, ZERO) + ZERO
            amount, capped = earned.get(key, (ZERO, False))
            clawback = _cents(clawbacks.get(key, ZERO))
            rows.append(
                {
                    "rep_id": key[0],
                    "month": key[1].isoformat(),
                    "commissionable_amount": base,
                    "quota_amount": "" if quota is None else quota,
                    "quota_attainment": _ratio(base, quota),
                    "earned_amount": amount,
                    "capped": "true" if capped else "false",
                    "clawback_amount": clawback,
                    "net_payout_amount": amount - clawback,
                }
            )
        return rows

    def forecast_rows(self) -> list[dict[str, object]]:
        rows = []
        for as_of in self.as_of:
            for step in range(FORECAST_MONTHS):
                month = shift_month(as_of.replace(day=1), step)
                weighted = _cents(self.forecast_open.get((as_of, month), ZERO))
                closed = self.forecast_closed.get((as_of, month), ZERO) + ZERO
                rows.append(
                    {
                        "as_of_date": as_of.isoformat(),
                        "forecast_month": month.isoformat(),
                        "open_weighted_amount": weighted,
                        "closed_bookings_amount": closed,
                        "weighted_forecast_amount": weighted + closed,
                    }
                )
        return rows

    def coverage_rows(self) -> list[dict[str, object]]:
        rows = []
        world = set(self.months)
        keys = {key for key in self.quotas if key[1] in world} | set(self.coverage)
        for rep_id, month in sorted(keys):
            quota = self._quota((rep_id, month))
            so_far = ZERO  # nothing has closed in a month at its first instant
            open_amount = self.coverage.get((rep_id, month), ZERO) + ZERO
            remaining = None if quota is None else quota - so_far
            rows.append(
                {
                    "rep_id": rep_id,
                    "month": month.isoformat(),
                    "open_pipeline_amount": open_amount,
                    "quota_amount": "" if quota is None else quota,
                    "bookings_so_far_amount": so_far,
                    "pipeline_coverage": _ratio(open_amount, remaining)
                    if remaining is not None and remaining > 0
                    else "",
                }
            )
        return rows

    def write(self, folder: Path) -> None:
        write_csv(folder / "rep_attainment_quarterly.csv", QUARTERLY_COLUMNS, self.quarterly_rows())
        write_csv(folder / "leaderboard_monthly.csv", LEADERBOARD_COLUMNS, self.leaderboard_rows())
        write_csv(folder / "commissions_monthly.csv", COMMISSION_COLUMNS, self.commission_rows())
        write_csv(folder / "weighted_forecast.csv", FORECAST_COLUMNS, self.forecast_rows())
        write_csv(folder / "pipeline_coverage_monthly.csv", COVERAGE_COLUMNS, self.coverage_rows())


def _quarter(month: date) -> date:
    return month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)


def _decimal(value: object) -> Decimal:
    """A YAML number as the Decimal it is written as (0.05, not its binary float)."""
    return Decimal(str(value))
