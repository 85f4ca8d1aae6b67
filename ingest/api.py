"""One HTTP client for every live API the connectors read.

Each call waits its turn with the API's pacer (``api_pacing.py``: the rate the API
announces, shared by every session of that API), then retries what retrying can fix:

- 429: waits exactly what ``Retry-After`` asks (seconds or an HTTP date; ~1 s when it is
  absent), plus a little jitter, holding every session of the API for that long;
- 5xx, a dropped connection, a truncated body, no answer within the read timeout
  (``SALES_TRACKER_API_TIMEOUT_SECONDS``): a short exponential backoff with jitter
  (0.25 s doubling, at most 4 s), at most ``SALES_TRACKER_API_MAX_ATTEMPTS`` (6)
  attempts, then an ``ApiError`` naming the system, the endpoint and the last failure.

401/403 fail at once with an error naming the variable to fix; the secret travels only
in the ``Authorization`` header, never in a message or a log. Our own loop over a
``requests`` session rather than dlt's retrying client, which cannot pace requests or
share a wait between sessions, and whose exhausted retries surface as bare ``requests``
exceptions.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.exceptions import ChunkedEncodingError, ConnectionError, ContentDecodingError, Timeout

from ingest.api_pacing import Pacer, pacer_for
from ingest.errors import ApiAuthError, ApiError
from ingest.settings import ApiCredentials

log = logging.getLogger(__name__)

RETRY_STATUSES = (500, 502, 503, 504)
DROPPED = (ConnectionError, ChunkedEncodingError, ContentDecodingError)
FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 4.0
# A 429 without Retry-After: HubSpot's and Stripe's limits are per second.
RATE_LIMITED_WAIT_SECONDS = 1.0
RETRY_AFTER_JITTER_SECONDS = 0.1
# 429s are the API pacing us, not failing: they have their own, larger budget, and a wait
# longer than this (a daily limit spent) fails rather than stalls the run.
MAX_RATE_LIMITED = 30
MAX_RETRY_AFTER_SECONDS = 300.0


class ApiSession:
    """GET/POST JSON against one API, with its credentials."""

    def __init__(
        self,
        system: str,
        credentials: ApiCredentials,
        pacer: Pacer | None = None,
    ) -> None:
        self.system = system
        self.credentials = credentials
        self.base_url = credentials.base_url.rstrip("/")
        self.max_attempts = credentials.max_attempts
        self.pacer = pacer or pacer_for(self.base_url)
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {credentials.secret}"

    def __repr__(self) -> str:
        return f"ApiSession({self.system!r}, {self.base_url!r})"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params)

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self._call("POST", path, json=body)

    def _call(self, method: str, path: str, **request: Any) -> Any:
        url = self.base_url + path
        where = f"{method} {url.split('?', 1)[0]}"  # the query may carry cursors
        failures = rate_limited = 0
        turn = "pacing"
        while True:
            self.pacer.wait_turn(turn)
            turn = "pacing"
            started = self.pacer.clock()
            try:
                response = self._session.request(
                    method, url, timeout=self.credentials.timeout_seconds, **request
                )
            except Timeout:
                self.pacer.record("timed out", self.pacer.clock() - started)
                failure = (
                    f"no answer within {self.credentials.timeout_seconds:g} s "
                    "(SALES_TRACKER_API_TIMEOUT_SECONDS)"
                )
            except DROPPED as error:
                self.pacer.record("requests", self.pacer.clock() - started)
                failure = f"the connection dropped ({type(error).__name__})"
            else:
                self.pacer.record("requests", self.pacer.clock() - started)
                self.pacer.learn(response.headers)
                if response.status_code == 429:
                    rate_limited += 1
                    self._wait_as_asked(response, where, rate_limited)
                    turn = "rate limited"
                    continue
                if response.status_code in RETRY_STATUSES:
                    failure = f"HTTP {response.status_code}"
                else:
                    body, failure = self._answer(response, where)
                    if failure is None:
                        return body
            failures += 1
            if failures >= self.max_attempts:
                raise ApiError(
                    f"The {self.system} API still failed at {where} after {failures} "
                    f"attempts; the last: {failure}"
                )
            delay = backoff_seconds(failures)
            log.warning(
                "%s API: %s at %s; retrying in %.2f s (attempt %d of %d)",
                self.system, failure, where, delay, failures + 1, self.max_attempts,
            )  # fmt: skip
            self.pacer.record("backoff", delay)
            self.pacer.sleep(delay)

    def _answer(self, response: requests.Response, where: str) -> tuple[Any, str | None]:
        """The JSON body of a final answer, or why it is worth another attempt."""
        if response.status_code in (401, 403):
            raise ApiAuthError.refused(
                self.system, response.status_code, where, self.credentials.secret_variable
            )
        if response.status_code >= 400:
            raise ApiError(
                f"The {self.system} API answered HTTP {response.status_code} at {where}: "
                f"{response.text[:500]}"
            )
        try:
            return json.loads(response.content), None
        except ValueError:
            return None, f"a body that is not complete JSON (HTTP {response.status_code})"

    def _wait_as_asked(self, response: requests.Response, where: str, times: int) -> None:
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = RATE_LIMITED_WAIT_SECONDS if asked is None else asked
        if times > MAX_RATE_LIMITED or wait > MAX_RETRY_AFTER_SECONDS:
            raise ApiError(
                f"The {self.system} API rate-limited {where} {times} times, the last "
                f"asking to wait {wait:g} s: try again later"
            )
        wait += random.uniform(0, RETRY_AFTER_JITTER_SECONDS)
        log.info("%s API: rate limited at %s; waiting %.2f s", self.system, where, wait)
        self.pacer.hold(wait)


def backoff_seconds(failures: int) -> float:
    """The wait after the n-th failure of a call: 0.25 s doubling, capped, the upper half
    of it drawn at random (so that clients that failed together do not retry together)."""
    ceiling = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** (failures - 1))
    return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
