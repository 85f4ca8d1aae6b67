"""How big a world is. Counts grow linearly with the number of companies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class Scale:
    name: str
    reps: int
    companies: int

    @property
    def teams(self) -> int:
        return max(2, self.reps // 8)


# s is the demo: ~50 reps and ~20k deals. m is 10x s, l is 100x s.
SCALES = {
    "xs": Scale("xs", reps=6, companies=40),
    "s": Scale("s", reps=50, companies=22_000),
    "m": Scale("m", reps=500, companies=220_000),
    "l": Scale("l", reps=5_000, companies=2_200_000),
}

# Two years of history up to the end of October 2026 in the company time zone (UTC+7).
WORLD_START = datetime(2024, 11, 1, tzinfo=UTC)
WORLD_END = datetime(2026, 10, 31, 16, 59, 59, tzinfo=UTC)  # midnight in Jakarta
COMPANY_TIMEZONE = "Asia/Jakarta"
# The world's last day in company time: what its open items are reported as of.
WORLD_LAST_DAY = date(2026, 10, 31)
