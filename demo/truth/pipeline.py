"""The ground truth of teams, funnel, stage times, open pipeline, sources and leads.

Computed from the ``Company``/``Deal``/``Contact`` facts and the ``Org`` (team history),
never by reading exports back. Chunked workers each fill a ``PipelineTruth``, hand back
``part()`` (picklable) and the main process ``merge``s them, as ``GroundTruth`` does.

Conventions, as in ``ground_truth.py``: days and months are cut in the company time zone
(Asia/Jakarta); a month is written as its first day (``2026-01-01``); archived and test
deals (``deal.counts`` False) leave every measure, including the leads they would
convert and the snapshots before they were archived; a deal amount converts to the
reporting currency at its close day's rate (the latest earlier one when none was
published) and is rounded half up to cents per deal before any sum; ratios are written
with ``_ratio`` (a float's repr), empty where the denominator is zero or undefined.
Histories (``stages``, ``owners``, ``amounts``) are read in time order.

``team_performance_monthly.csv`` (mirrors ``mart_team_performance_monthly``): one row per
team and month with a closed deal or a quota.
- A closed (won or lost) deal counts in its Jakarta close month for the team, on the
  close day, of its owner at the close instant (``deal.owner_at(closed_at)``; an owner
  change after the close moves nothing).
- ``bookings_amount``: won amounts; ``win_rate`` = won / (won + lost) deals;
  ``win_rate_by_amount`` = won amount / (won + lost amount).
- ``quota_amount``: the sum of the monthly quotas of the reps whose team, on the first
  day of the month on which the rep was active (``max(month start, hired_on)``), is the
  team; empty without any quota. ``quota_attainment`` = bookings / quota.

``funnel_conversion.csv`` (``mart_funnel_conversion``): one row per rung for every
pipeline and cohort month (the Jakarta month of the deal's creation) with a deal.
- The ladder is the pipeline's open stages in pipeline order, then its won stage; the
  lost stage is not on it. ``stage_order`` is 1-based.
- A deal reached rung k when the highest rung in its whole stage history is >= k: a
  skipped stage counts as reached, a backward move does not undo a rung, a won deal
  reached every rung. A deal whose history holds no rung reaches none (never in the
  demo world).
- ``conversion_to_next_rate`` = reached(k+1) / reached(k); empty on the last rung and
  where reached(k) is 0.

``stage_durations.csv`` (``mart_stage_durations``): one row per pipeline, open stage and
month with at least one finished stay.
- A stay runs from entering an open stage to entering the next, different stage in the
  history (open, won or lost); the same stage written twice in a row is one stay; a stage
  re-entered after a backward move is a new stay. A stay still open at the world's end
  is not counted.
- ``month``: the Jakarta month in which the stay ended. Days are fractional,
  ``(exit - entry).total_seconds() / 86400`` (kept in integer microseconds, so the sum
  does not depend on the order parts are merged in); ``avg_days_in_stage`` and
  ``median_days_in_stage`` are floats; ``stays`` counts them.

``pipeline_snapshots.csv`` (the truth of ``mart_pipeline_daily``): snapshot dates are
every month's last day and every Monday, from WORLD_START's Jakarta date to WORLD_END's
(2024-11-01 to 2026-10-31). One row per date, pipeline, stage and rep with an open deal.
- The state is taken at the end of the snapshot day, i.e. at the next Jakarta midnight
  (a change at that very instant belongs to the next day): a deal is open when it was
  created before that instant and its stage then is an open stage; its stage, owner
  (``rep_id``) and amount are the latest values changed before that instant.
- ``open_amount``: amounts converted at the snapshot date's rate, half up to cents per
  deal, summed. ``weighted_amount``: the exact sum of converted amount x the stage's
  probability (pipeline definition), rounded half up to cents once per row.

``bookings_by_source.csv`` (``mart_bookings_by_source``): one row per lead source and
Jakarta close month with a won deal.
- The deal's original lead source is the earliest source (by the time it was set) of its
  primary contact (``primary_contact_id``, looked up among its company's contacts), so a
  later overwrite does not count; else, without a primary contact or a source, its
  company's ``lead_source``; else ``unknown``.

``lead_conversion_monthly.csv``: one row per Jakarta month in which a contact was created.
- ``leads_created``: contacts created in the month.
- ``leads_converted``: of those, the contacts that are the primary contact of a counted
  deal created at or after the contact's creation and at most 90 days (inclusive) after
  it; deals associate with contacts through ``primary_contact_id`` only, as the CRM
  export does. The last three months are immature (a lead may still convert).
- ``lead_to_deal_rate`` = leads_converted / leads_created.
"""

from __future__ import annotations

import statistics
from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from demo.formats.files import write_csv
from demo.formats.hubspot import to_hubspot_precision
from demo.truth.ground_truth import GroundTruth, _cents, _ratio
from demo.world.accounts import Company, Contact, Deal
from demo.world.fx import FxRates
from demo.world.org import Org
from demo.world.pipelines import PIPELINES, open_stages, won_stage
from demo.world.scales import COMPANY_TIMEZONE, WORLD_END, WORLD_START

ZERO = Decimal("0.00")
LEAD_WINDOW = timedelta(days=90)
_MICROSECOND = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
TEAM_MONTHLY_COLUMNS = [
    "team_name",
    "month",
    "bookings_amount",
    "deals_won",
    "deals_lost",
    "win_rate",
    "win_rate_by_amount",
    "quota_amount",
    "quota_attainment",
]
FUNNEL_COLUMNS = [
    "pipeline_name",
    "cohort_month",
    "stage_name",
    "stage_order",
    "deals_reached",
    "conversion_to_next_rate",
]
STAGE_DURATION_COLUMNS = [
    "pipeline_name",
    "stage_name",
    "month",
    "stays",
    "avg_days_in_stage",
    "median_days_in_stage",
]
SNAPSHOT_COLUMNS = [
    "snapshot_date",
    "pipeline_name",
    "stage_name",
    "rep_id",
    "open_deals",
    "open_amount",
    "weighted_amount",
]
SOURCE_COLUMNS = ["lead_source", "month", "bookings_amount", "deals_won"]
LEAD_COLUMNS = ["month", "leads_created", "leads_converted", "lead_to_deal_rate"]


@dataclass(slots=True)
class _Closed:
    won_amount: Decimal = ZERO
    lost_amount: Decimal = ZERO
    won: int = 0
    lost: int = 0

    def add(self, other: _Closed) -> None:
        self.won_amount += other.won_amount
        self.lost_amount += other.lost_amount
        self.won += other.won
        self.lost += other.lost


@dataclass(slots=True)
class _Open:
    deals: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO  # exact; rounded once per row when written

    def add(self, other: _Open) -> None:
        self.deals += other.deals
        self.amount += other.amount
        self.weighted += other.weighted


@dataclass(slots=True)
class _Leads:
    created: int = 0
    converted: int = 0


@dataclass
class PipelinePart:
    """What a worker hands back: its share of the aggregates, to be merged."""

    team_months: dict[tuple[str, date], _Closed]  # (team_id, month)
    quotas: dict[tuple[str, date], Decimal]  # (rep_id, month)
    funnel: dict[tuple[str, date], list[int]]  # (pipeline_id, cohort month): reached by rung
    stays: dict[tuple[str, str, date], array]  # (pipeline_id, stage_id, month): us
    snapshots: dict[tuple[date, str, str, str], _Open]  # (day, pipeline_id, stage_id, rep_id)
    sources: dict[tuple[str, date], _Closed]  # (lead source, month): won only
    leads: dict[date, _Leads]


class PipelineTruth:
    local_date = GroundTruth.local_date  # the same Jakarta cut as ground_truth.py

    def __init__(self, org: Org, fx: FxRates, reporting_currency: str = "USD") -> None:
        self.org = org
        self.fx = fx
        self.reporting_currency = reporting_currency
        self.zone = ZoneInfo(COMPANY_TIMEZONE)
        # 1-based rung of each ladder stage; probability of each open stage.
        self._ladder = {
            pipeline_id: {
                stage.stage_id: rung
                for rung, stage in enumerate(
                    (*open_stages(pipeline_id), won_stage(pipeline_id)), start=1
                )
            }
            for pipeline_id in PIPELINES
        }
        self._probability = stage_probabilities()
        # Snapshot dates with the instant their day ends (the next Jakarta midnight, UTC).
        self._cuts = [(day, self._end_of(day)) for day in self.snapshot_dates()]
        self._cut_instants = [cut for _, cut in self._cuts]
        self.team_months: dict[tuple[str, date], _Closed] = defaultdict(_Closed)
        self.quotas: dict[tuple[str, date], Decimal] = {}
        self.funnel: dict[tuple[str, date], list[int]] = {}
        # Stay lengths in microseconds, as 8-byte integers (~600k stays at scale m).
        self.stays: dict[tuple[str, str, date], array] = defaultdict(_microseconds)
        self.snapshots: dict[tuple[date, str, str, str], _Open] = defaultdict(_Open)
        self.sources: dict[tuple[str, date], _Closed] = defaultdict(_Closed)
        self.leads: dict[date, _Leads] = defaultdict(_Leads)

    def snapshot_dates(self):
        """Every month's last day and every Monday, WORLD_START's to WORLD_END's date."""
        day, last = self.local_date(WORLD_START), self.local_date(WORLD_END)
        while day <= last:
            if day.weekday() == 0 or (day + timedelta(days=1)).day == 1:
                yield day
            day += timedelta(days=1)

    def _end_of(self, day: date) -> datetime:
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), self.zone)
        return midnight.astimezone(UTC)

    # --- adding facts ----------------------------------------------------------------

    def add_company(self, company: Company) -> None:
        contacts = {contact.contact_id: contact for contact in company.contacts}
        converted: set[str] = set()
        for deal in company.deals:
            if not deal.counts:
                continue
            contact = contacts.get(deal.primary_contact_id)
            if contact and timedelta(0) <= deal.created_at - contact.created_at <= LEAD_WINDOW:
                converted.add(contact.contact_id)
            self._add_funnel(deal)
            self._add_stays(deal)
            self._add_snapshots(deal)
            if deal.outcome is not None:
                self._add_closed(deal, _lead_source(contact, company))
        for contact in company.contacts:
            leads = self.leads[self.local_date(contact.created_at).replace(day=1)]
            leads.created += 1
            leads.converted += contact.contact_id in converted

    def _add_closed(self, deal: Deal, source: str) -> None:
        close_day = self.local_date(deal.closed_at)
        month = close_day.replace(day=1)
        amount = self.fx.convert(
            deal.amount_at(deal.closed_at), deal.currency, self.reporting_currency, close_day
        )
        team_id = self.org.rep(deal.owner_at(deal.closed_at)).team_on(close_day)
        bucket = self.team_months[(team_id, month)]
        if deal.outcome == "won":
            bucket.won += 1
            bucket.won_amount += amount
            by_source = self.sources[(source, month)]
            by_source.won += 1
            by_source.won_amount += amount
        else:
            bucket.lost += 1
            bucket.lost_amount += amount

    def _add_funnel(self, deal: Deal) -> None:
        ladder = self._ladder[deal.pipeline_id]
        highest = max((ladder.get(stage_id, 0) for stage_id, _ in deal.stages), default=0)
        if deal.outcome == "won":
            highest = len(ladder)
        cohort = self.local_date(deal.created_at).replace(day=1)
        reached = self.funnel.setdefault((deal.pipeline_id, cohort), [0] * len(ladder))
        for rung in range(highest):
            reached[rung] += 1

    def _add_stays(self, deal: Deal) -> None:
        probability = self._probability[deal.pipeline_id]
        stage_id, entered = deal.stages[0]
        for next_stage, at in deal.stages[1:]:
            if next_stage == stage_id:
                continue  # the same stage written again: the stay goes on
            if stage_id in probability:
                month = self.local_date(at).replace(day=1)
                stay = to_hubspot_precision(at) - to_hubspot_precision(entered)
                self.stays[(deal.pipeline_id, stage_id, month)].append(stay // _MICROSECOND)
            stage_id, entered = next_stage, at

    def _add_snapshots(self, deal: Deal) -> None:
        """Walk the snapshot instants after the deal's creation and its histories at once."""
        probability = self._probability[deal.pipeline_id]
        for position, stage_id, owner, amount, _ in open_states(
            deal, self._cut_instants, probability
        ):
            day = self._cuts[position][0]
            amount = self.fx.convert(amount, deal.currency, self.reporting_currency, day)
            bucket = self.snapshots[(day, deal.pipeline_id, stage_id, owner)]
            bucket.deals += 1
            bucket.amount += amount
            bucket.weighted += amount * probability[stage_id]

    def add_quota(self, rep_id: str, month: date, amount: Decimal) -> None:
        self.quotas[(rep_id, month)] = amount

    # --- merging -----------------------------------------------------------------------

    def part(self) -> PipelinePart:
        return PipelinePart(
            dict(self.team_months),
            dict(self.quotas),
            dict(self.funnel),
            dict(self.stays),
            dict(self.snapshots),
            dict(self.sources),
            dict(self.leads),
        )

    def merge(self, part: PipelinePart) -> None:
        for mine, theirs in (
            (self.team_months, part.team_months),
            (self.snapshots, part.snapshots),
            (self.sources, part.sources),
        ):
            for key, bucket in theirs.items():
                mine[key].add(bucket)
        self.quotas.update(part.quotas)
        for key, reached in part.funnel.items():
            current = self.funnel.setdefault(key, [0] * len(reached))
            for rung, count in enumerate(reached):
                current[rung] += count
        for key, stays in part.stays.items():
            self.stays[key] += stays
        for month, leads in part.leads.items():
            self.leads[month].created += leads.created
            self.leads[month].converted += leads.converted

    # --- rows --------------------------------------------------------------------------

    def team_rows(self) -> list[dict[str, object]]:
        names = {team.team_id: team.name for team in self.org.teams}
        quotas: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        for (rep_id, month), amount in self.quotas.items():
            rep = self.org.rep(rep_id)
            quotas[(rep.team_on(max(month, rep.hired_on)), month)] += amount
        rows = []
        for team_id, month in sorted(
            set(self.team_months) | set(quotas), key=lambda key: (names[key[0]], key[1])
        ):
            bucket = self.team_months.get((team_id, month), _Closed())
            won, lost = bucket.won_amount, bucket.lost_amount
            quota = quotas.get((team_id, month))
            rows.append(
                {
                    "team_name": names[team_id],
                    "month": month.isoformat(),
                    "bookings_amount": won,
                    "deals_won": bucket.won,
                    "deals_lost": bucket.lost,
                    "win_rate": _ratio(bucket.won, bucket.won + bucket.lost),
                    "win_rate_by_amount": _ratio(won, won + lost),
                    "quota_amount": quota if quota is not None else "",
                    "quota_attainment": _ratio(won, quota) if quota else "",
                }
            )
        return rows

    def funnel_rows(self) -> list[dict[str, object]]:
        rows = []
        for pipeline_id, cohort in sorted(
            self.funnel, key=lambda key: (PIPELINES[key[0]][0], key[1])
        ):
            ladder = (*open_stages(pipeline_id), won_stage(pipeline_id))
            reached = self.funnel[(pipeline_id, cohort)]
            for rung, stage in enumerate(ladder):
                last = rung + 1 == len(ladder)
                rows.append(
                    {
                        "pipeline_name": PIPELINES[pipeline_id][0],
                        "cohort_month": cohort.isoformat(),
                        "stage_name": stage.label,
                        "stage_order": rung + 1,
                        "deals_reached": reached[rung],
                        "conversion_to_next_rate": ""
                        if last
                        else _ratio(reached[rung + 1], reached[rung]),
                    }
                )
        return rows

    def stage_duration_rows(self) -> list[dict[str, object]]:
        rows = []
        for pipeline_id, stage_id, month in sorted(self.stays, key=self._stage_key):
            stays = self.stays[(pipeline_id, stage_id, month)]
            rows.append(
                {
                    "pipeline_name": PIPELINES[pipeline_id][0],
                    "stage_name": _label(pipeline_id, stage_id),
                    "month": month.isoformat(),
                    "stays": len(stays),
                    "avg_days_in_stage": _ratio(sum(stays), len(stays) * _DAY_US),
                    "median_days_in_stage": repr(statistics.median(stays) / _DAY_US),
                }
            )
        return rows

    def snapshot_rows(self):
        """Rows in date, pipeline, stage order and rep order (a generator: ~100k rows at m)."""
        for day, pipeline_id, stage_id, rep_id in sorted(
            self.snapshots, key=lambda key: (key[0], *self._stage_key(key[1:3]), key[3])
        ):
            bucket = self.snapshots[(day, pipeline_id, stage_id, rep_id)]
            yield {
                "snapshot_date": day.isoformat(),
                "pipeline_name": PIPELINES[pipeline_id][0],
                "stage_name": _label(pipeline_id, stage_id),
                "rep_id": rep_id,
                "open_deals": bucket.deals,
                "open_amount": bucket.amount,
                "weighted_amount": _cents(bucket.weighted),
            }

    def source_rows(self) -> list[dict[str, object]]:
        return [
            {
                "lead_source": source,
                "month": month.isoformat(),
                "bookings_amount": bucket.won_amount,
                "deals_won": bucket.won,
            }
            for (source, month), bucket in sorted(self.sources.items())
        ]

    def lead_rows(self) -> list[dict[str, object]]:
        return [
            {
                "month": month.isoformat(),
                "leads_created": leads.created,
                "leads_converted": leads.converted,
                "lead_to_deal_rate": _ratio(leads.converted, leads.created),
            }
            for month, leads in sorted(self.leads.items())
        ]

    def _stage_key(self, key):
        """Sort by pipeline name, then the stage's position in the pipeline, then the rest."""
        pipeline_id, stage_id, *rest = key
        stages = [stage.stage_id for stage in PIPELINES[pipeline_id][1]]
        return (PIPELINES[pipeline_id][0], stages.index(stage_id), *rest)

    def write(self, folder: Path) -> None:
        write_csv(folder / "team_performance_monthly.csv", TEAM_MONTHLY_COLUMNS, self.team_rows())
        write_csv(folder / "funnel_conversion.csv", FUNNEL_COLUMNS, self.funnel_rows())
        write_csv(
            folder / "stage_durations.csv", STAGE_DURATION_COLUMNS, self.stage_duration_rows()
        )
        write_csv(folder / "pipeline_snapshots.csv", SNAPSHOT_COLUMNS, self.snapshot_rows())
        write_csv(folder / "bookings_by_source.csv", SOURCE_COLUMNS, self.source_rows())
        write_csv(folder / "lead_conversion_monthly.csv", LEAD_COLUMNS, self.lead_rows())


def stage_probabilities() -> dict[str, dict[str, Decimal]]:
    """The probability of each open stage, by pipeline (the pipeline definition)."""
    return {
        pipeline_id: {stage.stage_id: stage.probability for stage in open_stages(pipeline_id)}
        for pipeline_id in PIPELINES
    }


def open_states(
    deal: Deal, instants: list[datetime], probability: dict[str, Decimal]
) -> Iterator[tuple[int, str, str, Decimal, datetime]]:
    """The deal as it stood at each of the sorted ``instants`` at which it was open.

    Yields ``(position in instants, stage_id, owner, amount, close date)``: each the
    latest value changed strictly before the instant (a change at the instant itself
    comes after it), from the deal's histories. A deal is open at an instant when it was
    created before it and its stage then is in ``probability`` (the open stages of its
    pipeline). Walks the instants and the histories at once.
    """
    stages, owners, amounts, closes = deal.stages, deal.owners, deal.amounts, deal.close_dates
    s = o = a = c = 0
    for position in range(bisect_right(instants, deal.created_at), len(instants)):
        cut = instants[position]
        while s + 1 < len(stages) and stages[s + 1][1] < cut:
            s += 1
        stage_id = stages[s][0]
        if stage_id not in probability:
            if s + 1 == len(stages):
                return  # closed, and nothing in its history reopens it
            continue
        while o + 1 < len(owners) and owners[o + 1][1] < cut:
            o += 1
        while a + 1 < len(amounts) and amounts[a + 1][1] < cut:
            a += 1
        while c + 1 < len(closes) and closes[c + 1][1] < cut:
            c += 1
        yield position, stage_id, owners[o][0], amounts[a][0], closes[c][0]


def _microseconds() -> array:
    return array("q")


def _lead_source(contact: Contact | None, company: Company) -> str:
    """The earliest source of the primary contact, else the company's, else unknown."""
    if contact is not None and contact.lead_sources:
        first = min(contact.lead_sources, key=lambda change: change[1])[0]
        if first:
            return first
    return company.lead_source or "unknown"


def _label(pipeline_id: str, stage_id: str) -> str:
    return next(stage.label for stage in PIPELINES[pipeline_id][1] if stage.stage_id == stage_id)
