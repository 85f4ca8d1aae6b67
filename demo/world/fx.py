"""Daily FX rates as a random walk: units of each currency per US dollar.

Weekends and a few random days have no published rate, so consumers must fall back to
the latest earlier rate, as kpis.md requires.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from demo.world.scales import WORLD_END, WORLD_START

# Starting units per USD, and ISO 4217 minor-unit exponents.
CURRENCIES = {"USD": 1.0, "IDR": 15_600.0, "SGD": 1.34, "EUR": 0.92, "JPY": 149.0}
EXPONENTS = {"USD": 2, "IDR": 2, "SGD": 2, "EUR": 2, "JPY": 0}


class FxRates:
    """Published rates by day; ``rate_on`` applies the latest-earlier-rate rule."""

    def __init__(self, rng: random.Random) -> None:
        self.published: dict[str, dict[date, Decimal]] = {code: {} for code in CURRENCIES}
        day = WORLD_START.date() - timedelta(days=400)
        level = dict(CURRENCIES)
        while day <= WORLD_END.date():
            for code in CURRENCIES:
                if code != "USD":
                    level[code] *= 1 + rng.gauss(0, 0.003)
            if day.weekday() < 5 and rng.random() > 0.02:
                for code, units in level.items():
                    self.published[code][day] = Decimal(f"{units:.6f}")
            day += timedelta(days=1)
        self._days = {code: sorted(days) for code, days in self.published.items()}

    def rate_on(self, code: str, day: date) -> Decimal:
        """Units of ``code`` per USD on ``day``, else on the latest earlier published day."""
        rates = self.published[code]
        while day not in rates:
            day -= timedelta(days=1)
            if day < self._days[code][0]:
                raise KeyError(f"no {code} rate on or before {day}")
        return rates[day]

    def convert(self, amount: Decimal, code: str, to: str, day: date) -> Decimal:
        """``amount`` of ``code`` in ``to`` at ``day``'s rates, rounded half up to cents."""
        converted = amount / self.rate_on(code, day) * self.rate_on(to, day)
        return converted.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def rows(self):
        for code, days in self._days.items():
            for day in days:
                yield {
                    "date": day.isoformat(),
                    "currency_code": code,
                    "units_per_usd": str(self.published[code][day]),
                }
