"""What the server counts: the rolling-second rate limit and the stats tests assert on."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

_CRM_OBJECT = re.compile(r"^/crm/v3/(objects|owners|pipelines)/([^/]+)/([^/]+)$")
_CRM_OWNER = re.compile(r"^/crm/v3/owners/([^/]+)$")
_STRIPE_OBJECT = re.compile(r"^/v1/([^/]+)/([^/]+)$")
FAULT_LOG_SIZE = 10_000  # the first faults served; counts go on past it


@dataclass(frozen=True)
class Admission:
    """The rate limiter's answer: admitted or the whole seconds to wait, and what is left."""

    retry_after: int | None  # None: admitted
    remaining: int  # requests still admitted in the current rolling second


class RateLimiter:
    """Admits at most ``limit`` requests in any rolling second."""

    def __init__(self) -> None:
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, limit: int, now: float) -> Admission:
        with self._lock:
            while self._admitted and self._admitted[0] <= now - 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= limit:
                wait = self._admitted[0] + 1.0 - now
                return Admission(max(1, math.ceil(wait)), 0)
            self._admitted.append(now)
            return Admission(None, limit - len(self._admitted))


class Stats:
    """Requests per endpoint, per status, and the faults served (``GET /_sandbox/stats``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._fault_log: list[dict[str, Any]] = []

    def request(self, endpoint: str) -> None:
        with self._lock:
            self._requests[endpoint] += 1

    def status(self, status: int) -> None:
        with self._lock:
            self._statuses[str(status)] += 1

    def fault(self, kind: str, request_number: int, endpoint: str) -> None:
        with self._lock:
            self._faults[kind] += 1
            if len(self._fault_log) < FAULT_LOG_SIZE:
                entry = {"request": request_number, "kind": kind, "endpoint": endpoint}
                self._fault_log.append(entry)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._requests.values()),
                "requests": dict(sorted(self._requests.items())),
                "statuses": dict(sorted(self._statuses.items())),
                "faults": dict(sorted(self._faults.items())),
                "fault_log": list(self._fault_log),
            }


def endpoint_label(method: str, path: str) -> str:
    """The route a request hit, ids replaced, e.g. ``GET /crm/v3/objects/deals/{id}``."""
    if path.startswith("/crm/v3/objects/") and path.endswith("/search"):
        return f"{method} {path}"
    match = _CRM_OBJECT.match(path)
    if match:
        return f"{method} /crm/v3/{match.group(1)}/{match.group(2)}/{{id}}"
    match = _CRM_OWNER.match(path)
    if match:
        return f"{method} /crm/v3/owners/{{id}}"
    match = _STRIPE_OBJECT.match(path)
    if match:
        return f"{method} /v1/{match.group(1)}/{{id}}"
    return f"{method} {path}"
