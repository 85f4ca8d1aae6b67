"""How fast the connectors may call one API: a schedule of send times shared by every
session (and thread) that calls it, learned from the API's own rate-limit headers.

HubSpot announces its limits on every answer (``X-HubSpot-RateLimit-Max`` per
``-Interval-Milliseconds``, and ``-Secondly`` on some apps): the pacer spaces requests so
that they stay under the tightest of them, with a margin for clocks and queues. Stripe
announces none: its 429s (and their ``Retry-After``) are the only signal, and
``hold`` keeps every session of that API quiet for the wait asked. Requests are spaced,
never sent in bursts, so the ``-Remaining`` counts need no reading: another client
eating into the same limit shows up as a 429.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping

# Pace at this share of the announced rate: a rolling window on the server sees the
# requests a few milliseconds apart from when they left.
RATE_MARGIN = 0.9
RATE_HEADERS = (
    # (count header, window header in milliseconds, or a fixed window in seconds)
    ("X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Interval-Milliseconds"),
    ("X-HubSpot-RateLimit-Secondly", None),
)


class Pacer:
    """Hands out send times for one API: no two sends closer than the learned interval,
    none before a hold (a 429's ``Retry-After``) ends. Adds up where the API's callers spend
    their time (``spent``: waiting their turn, for a 429, in backoff, in requests).

    ``clock`` and ``sleep`` are injectable, so that tests read the waits chosen instead of
    timing them."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._interval = 0.0  # seconds between two sends; 0 until a limit is announced
        self._next_send = float("-inf")
        self.spent: Counter[str] = Counter()

    @property
    def interval(self) -> float:
        return self._interval

    def wait_turn(self, reason: str = "pacing") -> float:
        """Sleep until this caller may send (its slot is reserved); the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next_send)
            self._next_send = slot + self._interval
        wait = slot - now
        if wait > 0:
            self.record(reason, wait)
            self.sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """No request to this API before ``seconds`` from now (a 429's ``Retry-After``)."""
        with self._lock:
            self._next_send = max(self._next_send, self.clock() + seconds)

    def learn(self, headers: Mapping[str, str]) -> None:
        """Pace by the tightest limit the answer announces (none announced: unchanged)."""
        rate = announced_rate(headers)
        if rate is not None:
            with self._lock:
                self._interval = 1.0 / (rate * RATE_MARGIN)

    def record(self, reason: str, seconds: float) -> None:
        with self._lock:
            self.spent[reason] += seconds


def announced_rate(headers: Mapping[str, str]) -> float | None:
    """Requests per second the tightest announced limit allows; ``None`` if none is."""
    rates = []
    for count_header, window_header in RATE_HEADERS:
        count = _number(headers.get(count_header))
        window_seconds = 1.0 if window_header is None else _number(headers.get(window_header))
        if window_header is not None and window_seconds is not None:
            window_seconds /= 1000
        if count and window_seconds:
            rates.append(count / window_seconds)
    return min(rates) if rates else None


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number > 0 else None


_PACERS: dict[str, Pacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(base_url: str) -> Pacer:
    """The one pacer of the API at ``base_url`` in this process (its limit is the API's,
    whichever session or resource calls it)."""
    with _PACERS_LOCK:
        return _PACERS.setdefault(base_url.rstrip("/"), Pacer())
