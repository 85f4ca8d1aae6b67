"""What the sandbox does to its clients: rate limits and injected faults, reproducibly.

A connector's retry and resume logic is only tested when the server misbehaves on
purpose, and the same way twice: whether the n-th request gets a fault depends only on
the knobs (a schedule and/or a seeded probability) and on n, never on timing.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAULT_KINDS = ("500", "502", "503", "timeout", "truncate", "429")
# Random faults by default; a "429" (rate limited, Retry-After: 1) is chosen on purpose:
# scheduled, it tests a client's backoff without depending on how fast the client runs.
RANDOM_FAULT_KINDS = FAULT_KINDS[:-1]


class KnobsError(ValueError):
    """A knob has a value the sandbox cannot act on."""


@dataclass(frozen=True)
class Knobs:
    """Server behaviour, set at start and replaceable at runtime (``POST /_sandbox/knobs``).

    - ``rate_limit_per_second``: requests admitted per rolling second (``None``: no limit);
      the others get 429 with ``Retry-After``. HubSpot routes announce the limit and what
      is left of it in ``X-HubSpot-RateLimit-*`` headers, as HubSpot does; Stripe's never.
    - ``fault_schedule``: ``(n, kind)`` pairs: the n-th eligible request gets that fault.
      Eligible: authenticated, admitted by the rate limit, under ``fault_path_prefix``;
      counted from 1 since the knobs were last set.
    - ``fault_rate`` / ``fault_seed`` / ``fault_kinds``: an eligible request with no
      scheduled fault gets one with this probability, its kind drawn from ``fault_kinds``,
      both decided by a generator seeded with ``(fault_seed, n)``.
    - ``fault_path_prefix``: only requests whose path starts with it are eligible (and
      counted), e.g. ``/v1/`` for Stripe only.
    - ``timeout_delay_seconds``: how long a ``timeout`` fault holds its answer; set it
      above the client's read timeout.
    """

    rate_limit_per_second: int | None = None
    fault_schedule: tuple[tuple[int, str], ...] = ()
    fault_rate: float = 0.0
    fault_seed: int = 0
    fault_kinds: tuple[str, ...] = RANDOM_FAULT_KINDS
    fault_path_prefix: str = ""
    timeout_delay_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.rate_limit_per_second is not None and self.rate_limit_per_second < 1:
            raise KnobsError("rate_limit_per_second must be at least 1 (or null: no limit)")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise KnobsError("fault_rate must be between 0 and 1")
        if not self.fault_kinds:
            raise KnobsError("fault_kinds must name at least one fault")
        for kind in (*self.fault_kinds, *(kind for _, kind in self.fault_schedule)):
            if kind not in FAULT_KINDS:
                raise KnobsError(f"unknown fault kind {kind!r}: expected one of {FAULT_KINDS}")
        if any(number < 1 for number, _ in self.fault_schedule):
            raise KnobsError("fault_schedule request numbers start at 1")
        if self.timeout_delay_seconds < 0:
            raise KnobsError("timeout_delay_seconds must not be negative")

    def fault_for(self, request_number: int) -> str | None:
        """The fault the ``request_number``-th eligible request gets, if any."""
        for number, kind in self.fault_schedule:
            if number == request_number:
                return kind
        if self.fault_rate <= 0:
            return None
        rng = random.Random(f"{self.fault_seed}:{request_number}")
        if rng.random() >= self.fault_rate:
            return None
        return self.fault_kinds[rng.randrange(len(self.fault_kinds))]

    def applies_to(self, path: str) -> bool:
        return path.startswith(self.fault_path_prefix)

    def updated(self, changes: Mapping[str, Any]) -> Knobs:
        """These knobs with ``changes`` (JSON values, e.g. a request body) applied."""
        names = {knob.name for knob in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise KnobsError(f"unknown knobs {unknown}: expected some of {sorted(names)}")
        values: dict[str, Any] = {}
        try:
            for name, value in changes.items():
                values[name] = _coerce(name, value)
        except (TypeError, ValueError) as error:
            raise KnobsError(f"bad knob value: {error}") from None
        return dataclasses.replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["fault_schedule"] = [list(pair) for pair in self.fault_schedule]
        data["fault_kinds"] = list(self.fault_kinds)
        return data


def _coerce(name: str, value: Any) -> Any:
    if name == "rate_limit_per_second":
        return None if value is None else _int(value)
    if name == "fault_schedule":
        pairs = value.items() if isinstance(value, Mapping) else value
        return tuple(sorted((_int(number), str(kind)) for number, kind in pairs))
    if name == "fault_kinds":
        if isinstance(value, str):
            raise TypeError("fault_kinds must be a list")
        return tuple(str(kind) for kind in value)
    if name == "fault_seed":
        return _int(value)
    if name in ("fault_rate", "timeout_delay_seconds"):
        if isinstance(value, bool):
            raise TypeError(f"{name} must be a number")
        return float(value)
    if name == "fault_path_prefix":
        if not isinstance(value, str):
            raise TypeError("fault_path_prefix must be a string")
        return value
    raise KnobsError(f"unknown knob {name!r}")


def _int(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise TypeError(f"expected an integer, got {value!r}")
    return int(value)
