"""Files about people that sales ops drop: pulse survey responses and the commission plan."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from demo.world.org import Org

SURVEY_COLUMNS = ["survey_id", "survey_date", "response_id", "team_name", "score"]

# Quarterly eNPS pulses; the scale is 0-10.
SURVEY_DATES = (
    date(2025, 1, 15),
    date(2025, 4, 15),
    date(2025, 7, 15),
    date(2025, 10, 15),
    date(2026, 1, 15),
    date(2026, 4, 15),
    date(2026, 7, 15),
    date(2026, 10, 15),
)

COMMISSION_PLAN = """\
# Commission plan (kpis.md, "commission"). Rates apply by quota attainment of the month.
plan: standard_2025
currency: USD
commissionable_base: bookings      # or: collected_cash
payout_period: month
tiers:                             # attainment from (inclusive) -> rate
  - from: 0.0
    rate: 0.05
  - from: 0.5
    rate: 0.08
  - from: 1.0
    rate: 0.12
method: marginal                   # marginal: each slice at its tier's rate; flat: one rate
cap_amount: 50000                  # per rep per month
clawback_window_days: 90           # refunds within the window claw back the commission
"""


@dataclass(frozen=True)
class SurveyResponse:
    survey_id: str
    survey_date: date
    rep_id: str
    team_id: str
    team_name: str
    score: int

    def row(self) -> dict[str, object]:
        # A pseudonym: responses are anonymous, yet one respondent is one row per survey.
        pseudonym = hashlib.sha256(f"{self.survey_id}:{self.rep_id}".encode()).hexdigest()[:16]
        return {
            "survey_id": self.survey_id,
            "survey_date": self.survey_date.isoformat(),
            "response_id": pseudonym,
            "team_name": self.team_name,
            "score": self.score,
        }


def survey_responses(seed: int, org: Org) -> Iterator[SurveyResponse]:
    """About 80% of the reps active on a survey's date answer it, in the team they are in."""
    rng = random.Random(f"{seed}:survey")
    names = {team.team_id: team.name for team in org.teams}
    # Each team has its own mood, so eNPS differs between teams.
    mood = {team.team_id: rng.uniform(-1.5, 1.5) for team in org.teams}
    for survey_date in SURVEY_DATES:
        survey_id = f"pulse-{survey_date:%Y-%m}"
        for rep in org.reps:
            if not rep.is_active(survey_date) or rng.random() > 0.8:
                continue
            team_id = rep.team_on(survey_date)
            score = round(rng.gauss(7.2 + mood[team_id], 2.0))
            yield SurveyResponse(
                survey_id,
                survey_date,
                rep.owner_id,
                team_id,
                names[team_id],
                min(10, max(0, score)),
            )
