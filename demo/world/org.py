"""Teams and reps: hires, departures and moves between teams."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from demo.world.scales import WORLD_END, WORLD_START, Scale

FIRST_NAMES = (
    "Ayu",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fajar",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lukas",
    "Maya",
    "Nadia",
    "Oscar",
    "Putri",
    "Rizky",
    "Sari",
    "Teguh",
    "Wulan",
    "Yusuf",
    "Zahra",
    "Ken",
    "Mei",
    "Arjun",
    "Chloé",
    "Søren",
    "Ümit",
    "Haruto",
    "Liang",
)
LAST_NAMES = (
    "Santoso",
    "Wijaya",
    "Tan",
    "Lim",
    "Pratama",
    "Halim",
    "Gunawan",
    "Kusuma",
    "Nguyen",
    "Müller",
    "Sato",
    "Chen",
    "Rahman",
    "Okafor",
    "Silva",
    "Dubois",
)
# The demo company's own mail domain: what tells the reps' mail from their customers'.
REP_EMAIL_DOMAIN = "demo-sales.example"
TEAM_NAMES = (
    "Jakarta Enterprise",
    "Singapore Mid-Market",
    "Inbound",
    "Europe",
    "Japan",
    "Partners",
    "Surabaya SMB",
    "Expansion",
)


@dataclass
class Team:
    team_id: str
    name: str


@dataclass
class Rep:
    owner_id: str
    first_name: str
    last_name: str
    email: str
    hired_on: date
    left_on: date | None
    # (team_id, first day in that team), in time order.
    team_spells: list[tuple[str, date]] = field(default_factory=list)

    def is_active(self, day: date) -> bool:
        return self.hired_on <= day and (self.left_on is None or day < self.left_on)

    def team_on(self, day: date) -> str:
        current = self.team_spells[0][0]
        for team_id, since in self.team_spells:
            if since <= day:
                current = team_id
        return current


@dataclass
class Org:
    teams: list[Team]
    reps: list[Rep]

    def active_reps(self, day: date) -> list[Rep]:
        """The reps employed on ``day`` (memoized: every deal and email asks, and at scale m
        rebuilding the list was 7% of generation)."""
        active = self._active.get(day)
        if active is None:
            active = self._active[day] = [rep for rep in self.reps if rep.is_active(day)]
        return active

    def rep(self, owner_id: str) -> Rep:
        return self._by_id[owner_id]

    def __post_init__(self) -> None:
        self._by_id = {rep.owner_id: rep for rep in self.reps}
        self._active: dict[date, list[Rep]] = {}


def build_org(rng: random.Random, scale: Scale) -> Org:
    teams = [Team(str(7_000 + index), _team_name(index)) for index in range(scale.teams)]
    start, end = WORLD_START.date(), WORLD_END.date()
    span = (end - start).days
    reps = []
    for index in range(scale.reps):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Two thirds are there from the start; the rest are hired along the way.
        hired_on = start - timedelta(days=rng.randint(30, 900))
        if rng.random() < 1 / 3:
            hired_on = start + timedelta(days=rng.randint(0, span - 60))
        left_on = None
        if rng.random() < 0.15:
            left_on = hired_on + timedelta(days=rng.randint(120, 700))
            left_on = left_on if left_on < end else None
        team = teams[index % len(teams)].team_id
        spells = [(team, hired_on)]
        if rng.random() < 0.12:
            moved_on = max(hired_on, start) + timedelta(days=rng.randint(60, span // 2))
            if moved_on < (left_on or end):
                other = rng.choice([t.team_id for t in teams if t.team_id != team])
                spells.append((other, moved_on))
        reps.append(
            Rep(
                owner_id=str(100_000 + index),
                first_name=first,
                last_name=last,
                email=f"{_ascii(first)}.{_ascii(last)}.{index}@{REP_EMAIL_DOMAIN}".lower(),
                hired_on=hired_on,
                left_on=left_on,
                team_spells=spells,
            )
        )
    return Org(teams=teams, reps=reps)


def _team_name(index: int) -> str:
    base = TEAM_NAMES[index % len(TEAM_NAMES)]
    return base if index < len(TEAM_NAMES) else f"{base} {index // len(TEAM_NAMES) + 1}"


def _ascii(name: str) -> str:
    return name.encode("ascii", "ignore").decode() or "rep"
