"""Files the sales ops team drops: the rep roster (team history), quotas and FX rates."""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from demo.world.org import Org
from demo.world.scales import WORLD_END, WORLD_START

ROSTER_COLUMNS = ["rep_email", "rep_id", "team_name", "valid_from", "valid_to"]
QUOTA_COLUMNS = ["rep_email", "month", "quota_amount", "currency_code"]
FX_COLUMNS = ["date", "currency_code", "units_per_usd"]


def roster_rows(org: Org) -> Iterator[dict[str, str]]:
    """Team membership with validity: the CRM keeps only today's team, HR keeps history."""
    names = {team.team_id: team.name for team in org.teams}
    for rep in org.reps:
        for position, (team_id, since) in enumerate(rep.team_spells):
            until = (
                rep.team_spells[position + 1][1]
                if position + 1 < len(rep.team_spells)
                else rep.left_on
            )
            yield {
                "rep_email": rep.email,
                "rep_id": rep.owner_id,
                "team_name": names[team_id],
                "valid_from": since.isoformat(),
                "valid_to": until.isoformat() if until else "",
            }


def quota_rows(rng: random.Random, org: Org) -> Iterator[tuple[str, dict[str, str], Decimal]]:
    """Monthly quotas in USD, prorated by the days a rep is employed that month.

    Yields ``(rep_id, csv_row, amount)``.
    """
    month = WORLD_START.date().replace(day=1)
    last = WORLD_END.date().replace(day=1)
    bases = {rep.owner_id: Decimal(rng.randrange(60, 160) * 1000) for rep in org.reps}
    while month <= last:
        days = calendar.monthrange(month.year, month.month)[1]
        for rep in org.reps:
            active = sum(rep.is_active(month + timedelta(days=d)) for d in range(days))
            if active:
                amount = (bases[rep.owner_id] * active / days / 100).quantize(Decimal(1)) * 100
                yield (
                    rep.owner_id,
                    {
                        "rep_email": rep.email,
                        "month": month.strftime("%Y-%m"),
                        "quota_amount": str(amount),
                        "currency_code": "USD",
                    },
                    amount,
                )
        month = (month + timedelta(days=32)).replace(day=1)
