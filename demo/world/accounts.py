"""Companies, their contacts and their deals, as facts (before any export format).

Each company is generated from its own random stream, so that a company's facts do
not depend on how many came before it and generation streams one company at a time.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from demo.world.fx import EXPONENTS, FxRates
from demo.world.org import FIRST_NAMES, LAST_NAMES, Org, Rep
from demo.world.pipelines import (
    NEW_BUSINESS_ID,
    RENEWAL_ID,
    forecast_category,
    lost_stage,
    open_stages,
    won_stage,
)
from demo.world.scales import WORLD_END, WORLD_START

COUNTRIES = (  # country, currency, weight
    ("ID", "IDR", 40),
    ("SG", "SGD", 20),
    ("US", "USD", 20),
    ("DE", "EUR", 8),
    ("FR", "EUR", 4),
    ("JP", "JPY", 8),
)
LEAD_SOURCES = ("web", "referral", "event", "outbound", "partner", "webinar", "social")
LEAD_SOURCE_WEIGHTS = (30, 15, 10, 20, 10, 8, 7)
LOST_REASONS = ("Price", "Competitor", "No budget", "Timing", "No decision", "Product fit")
NAME_PARTS = (
    "Nusantara",
    "Garuda",
    "Merlion",
    "Harbour",
    "Sakura",
    "Rhein",
    "Lumière",
    "Borneo",
    "Andalas",
    "Komodo",
    "Cendana",
    "Pacific",
    "Equator",
    "Kenanga",
    "Bintang",
    "Samudra",
)
NAME_KINDS = ("Logistics", "Foods", "Digital", "Health", "Energy", "Retail", "Capital", "Works")


@dataclass
class Contact:
    contact_id: str
    first_name: str
    last_name: str
    email: str
    created_at: datetime
    # (source, when): a later overwrite must not change the original source.
    lead_sources: list[tuple[str, datetime]]
    owner_id: str


@dataclass
class Deal:
    deal_id: str
    name: str
    pipeline_id: str
    deal_type: str
    currency: str
    created_at: datetime
    primary_contact_id: str | None
    stages: list[tuple[str, datetime]]
    amounts: list[tuple[Decimal, datetime]]
    close_dates: list[tuple[datetime, datetime]]
    owners: list[tuple[str, datetime]]
    forecast: list[tuple[str, datetime]]
    outcome: str | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    is_test: bool = False
    archived_at: datetime | None = None

    def owner_at(self, moment: datetime) -> str:
        return _value_at(self.owners, moment)

    def amount_at(self, moment: datetime) -> Decimal:
        return _value_at(self.amounts, moment)

    @property
    def counts(self) -> bool:
        """Deleted and test deals leave every measure."""
        return self.archived_at is None and not self.is_test


@dataclass
class Company:
    company_id: str
    name: str
    domain: str
    country: str
    currency: str
    created_at: datetime
    lead_source: str
    owner_id: str
    contacts: list[Contact] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)


def _value_at(changes, moment):
    current = changes[0][0]
    for value, when in changes:
        if when <= moment:
            current = value
    return current


def build_company(seed: int, index: int, org: Org, fx: FxRates) -> Company:
    rng = random.Random(f"{seed}:company:{index}")
    span = (WORLD_END - WORLD_START).total_seconds()
    created_at = WORLD_START + timedelta(seconds=rng.uniform(-60 * 86400, span - 20 * 86400))
    created_at = _business_time(rng, created_at, not_before=created_at - timedelta(days=1))
    country, currency, _ = rng.choices(COUNTRIES, weights=[c[2] for c in COUNTRIES])[0]
    name = f"{rng.choice(NAME_PARTS)} {rng.choice(NAME_KINDS)} {index}"
    owner = _rep_for(rng, org, created_at)
    company = Company(
        company_id=str(20_000_000 + index),
        name=name,
        domain=f"{name.split()[0].lower().encode('ascii', 'ignore').decode()}{index}.example",
        country=country,
        currency=currency,
        created_at=created_at,
        lead_source=rng.choices(LEAD_SOURCES, LEAD_SOURCE_WEIGHTS)[0],
        owner_id=owner.owner_id,
    )
    for number in range(rng.choice((1, 1, 2, 2, 3, 4))):
        company.contacts.append(_contact(rng, company, index, number))
    if rng.random() < 0.72:
        first = _deal(
            rng,
            org,
            fx,
            company,
            NEW_BUSINESS_ID,
            "newbusiness",
            company.contacts[0].created_at + timedelta(hours=rng.uniform(1, 240)),
            index * 4,
        )
        company.deals.append(first)
        if first.outcome == "won":
            follow_up = first.closed_at + timedelta(days=rng.uniform(60, 330))
            if rng.random() < 0.55 and follow_up < WORLD_END:
                kind = rng.choice(("existingbusiness", "renewal"))
                company.deals.append(
                    _deal(rng, org, fx, company, RENEWAL_ID, kind, follow_up, index * 4 + 1)
                )
    return company


def _contact(rng: random.Random, company: Company, index: int, number: int) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    created_at = company.created_at + timedelta(hours=number * rng.uniform(0, 400))
    source = company.lead_source
    if number:
        source = rng.choices(LEAD_SOURCES, LEAD_SOURCE_WEIGHTS)[0]
    sources = [(source, created_at)]
    if rng.random() < 0.1:  # a later import overwrites the source; the original still counts
        sources.append((rng.choice(LEAD_SOURCES), created_at + timedelta(days=rng.uniform(5, 90))))
    local = f"{first}.{last}".lower().encode("ascii", "ignore").decode() or "contact"
    return Contact(
        contact_id=str(30_000_000 + index * 10 + number),
        first_name=first,
        last_name=last,
        email=f"{local}{number}@{company.domain}",
        created_at=created_at,
        lead_sources=sources,
        owner_id=company.owner_id,
    )


def _deal(
    rng: random.Random,
    org: Org,
    fx: FxRates,
    company: Company,
    pipeline_id: str,
    deal_type: str,
    created_at: datetime,
    number: int,
) -> Deal:
    created_at = _business_time(rng, created_at, not_before=created_at)
    owner = org.rep(company.owner_id)
    if not owner.is_active(created_at.date()):
        owner = _rep_for(rng, org, created_at)
    usd = Decimal(str(round(math.exp(rng.gauss(math.log(12_000), 0.8)), 2)))
    amount = _in_currency(usd, company.currency, fx, created_at)
    stages = open_stages(pipeline_id)
    deal = Deal(
        deal_id=str(40_000_000 + number),
        name=f"{company.name} - {'New' if pipeline_id == NEW_BUSINESS_ID else deal_type.title()}",
        pipeline_id=pipeline_id,
        deal_type=deal_type,
        currency=company.currency,
        created_at=created_at,
        primary_contact_id=company.contacts[0].contact_id,
        stages=[(stages[0].stage_id, created_at)],
        amounts=[(amount, created_at)],
        close_dates=[(created_at + timedelta(days=rng.uniform(20, 120)), created_at)],
        owners=[(owner.owner_id, created_at)],
        forecast=[(forecast_category(stages[0]), created_at)],
    )
    position, moment = 0, created_at
    while True:
        dwell = timedelta(days=rng.lognormvariate(math.log(9), 0.8))
        moment = _business_time(rng, moment + dwell, not_before=moment)
        if moment > WORLD_END:
            break
        if rng.random() < 0.10 + 0.03 * position:
            _close(deal, lost_stage(pipeline_id).stage_id, "lost", moment)
            deal.lost_reason = rng.choice(LOST_REASONS)
            break
        if position == len(stages) - 1:
            _close(deal, won_stage(pipeline_id).stage_id, "won", moment)
            break
        step = 1
        if position + 2 < len(stages) and rng.random() < 0.12:
            step = 2  # skips a stage
        elif position > 0 and rng.random() < 0.06:
            step = -1  # moves backwards
        position += step
        deal.stages.append((stages[position].stage_id, moment))
        deal.forecast.append((forecast_category(stages[position]), moment))
        if rng.random() < 0.15:  # amount raised or cut during the negotiation
            factor = Decimal(str(round(rng.uniform(0.7, 1.3), 2)))
            deal.amounts.append((_round_money(deal.amounts[-1][0] * factor, deal.currency), moment))
        expected_close = deal.close_dates[-1][0]
        if moment > expected_close - timedelta(days=3):  # slipped: pushed out
            deal.close_dates.append((moment + timedelta(days=rng.uniform(7, 45)), moment))
        elif rng.random() < 0.05:  # pulled in
            deal.close_dates.append((moment + timedelta(days=rng.uniform(3, 10)), moment))
    _reassign(rng, org, deal)
    if rng.random() < 0.01:
        deal.is_test = True
        deal.name = f"TEST - {deal.name}"
    if rng.random() < 0.01:
        archived_at = (deal.closed_at or deal.stages[-1][1]) + timedelta(days=rng.uniform(1, 30))
        deal.archived_at = archived_at if archived_at < WORLD_END else None
    return deal


def _close(deal: Deal, stage_id: str, outcome: str, moment: datetime) -> None:
    deal.stages.append((stage_id, moment))
    deal.forecast.append(("CLOSED", moment))
    deal.close_dates.append((moment, moment))
    deal.outcome, deal.closed_at = outcome, moment


def _reassign(rng: random.Random, org: Org, deal: Deal) -> None:
    """Owners leave, and managers rebalance: ownership changes, before or after the close."""
    end = deal.closed_at or WORLD_END
    owner = org.rep(deal.owners[0][0])
    if owner.left_on and owner.left_on < end.date():
        left = datetime.combine(owner.left_on, datetime.min.time(), deal.created_at.tzinfo)
        deal.owners.append((_rep_for(rng, org, left, exclude=owner).owner_id, left))
    elif rng.random() < 0.05:
        moment = deal.created_at + (end - deal.created_at) * rng.uniform(0.2, 0.8)
        deal.owners.append((_rep_for(rng, org, moment, exclude=owner).owner_id, moment))
    if deal.closed_at and rng.random() < 0.05:  # after the close: credit must not move
        moment = deal.closed_at + timedelta(days=rng.uniform(1, 60))
        if moment < WORLD_END:
            deal.owners.append((_rep_for(rng, org, moment).owner_id, moment))


def _rep_for(rng: random.Random, org: Org, moment: datetime, exclude: Rep | None = None) -> Rep:
    active = [rep for rep in org.active_reps(moment.date()) if rep is not exclude]
    return rng.choice(active or org.reps)


def _in_currency(usd: Decimal, currency: str, fx: FxRates, moment: datetime) -> Decimal:
    return _round_money(usd * fx.rate_on(currency, moment.date()), currency)


def _round_money(amount: Decimal, currency: str) -> Decimal:
    """Deal amounts as people type them: whole yen, thousands of rupiah, cents elsewhere."""
    if currency == "IDR":
        return (amount / 1000).quantize(Decimal(1)) * 1000
    return amount.quantize(Decimal(1).scaleb(-EXPONENTS[currency]))


def _business_time(rng: random.Random, moment: datetime, not_before: datetime) -> datetime:
    """Most CRM work happens in Jakarta office hours (UTC+7); some of it does not.

    Never earlier than ``not_before``, so that histories stay in time order.
    """
    if rng.random() < 0.1:
        return moment
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    in_hours = day + timedelta(hours=rng.uniform(2, 10))  # 09:00-17:00 in Jakarta
    return in_hours if in_hours > not_before else moment
