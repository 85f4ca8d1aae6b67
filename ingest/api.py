"""One HTTP client for every live API the connectors read.

Retries with exponential backoff that honour ``Retry-After`` (429, 5xx, dropped
connections, timeouts, truncated bodies), fails fast on 401/403 with an error naming the
variable to fix, and never puts the secret in a message: it travels only in the
``Authorization`` header. Built on dlt's retrying ``requests`` client.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dlt.sources.helpers.requests import Client
from requests import Response
from requests.exceptions import ChunkedEncodingError, ConnectionError, Timeout

from ingest.errors import ApiAuthError, ApiError
from ingest.settings import ApiCredentials

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)


def _truncated(response: Response | None, exception: BaseException | None) -> bool:
    """A 200 whose JSON body was cut short is worth another attempt."""
    if response is None or exception is not None or response.status_code != 200:
        return False
    try:
        json.loads(response.content)
    except ValueError:
        log.warning("retrying %s: the response body is not complete JSON", _where(response))
        return True
    return False


class ApiSession:
    """GET/POST JSON against one API, with its credentials."""

    def __init__(
        self,
        system: str,
        credentials: ApiCredentials,
        max_attempts: int = 6,
        backoff_factor: float = 0.5,
        max_delay_seconds: float = 60,
        timeout_seconds: float = 30,
    ) -> None:
        self.system = system
        self.credentials = credentials
        self.base_url = credentials.base_url.rstrip("/")
        self._client = Client(
            request_timeout=timeout_seconds,
            raise_for_status=False,
            status_codes=RETRY_STATUSES,
            exceptions=(ConnectionError, Timeout, ChunkedEncodingError),
            request_max_attempts=max_attempts,
            retry_condition=_truncated,
            request_backoff_factor=backoff_factor,
            request_max_retry_delay=max_delay_seconds,
            respect_retry_after_header=True,
        )
        self._session = self._client.session
        self._session.headers["Authorization"] = f"Bearer {credentials.secret}"

    def __repr__(self) -> str:
        return f"ApiSession({self.system!r}, {self.base_url!r})"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._json(self._session.get(self.base_url + path, params=params))

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._json(self._session.post(self.base_url + path, json=body))

    def _json(self, response: Response) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise ApiAuthError.refused(
                self.system,
                response.status_code,
                _where(response),
                self.credentials.secret_variable,
            )
        if response.status_code >= 400:
            raise ApiError(
                f"The {self.system} API answered HTTP {response.status_code} at "
                f"{_where(response)}: {response.text[:500]}"
            )
        try:
            return response.json()
        except ValueError as error:
            raise ApiError(
                f"The {self.system} API sent a body that is not JSON at {_where(response)} "
                "even after retrying"
            ) from error


def _where(response: Response) -> str:
    """The request's method and path, without the query (which may carry cursors)."""
    request = response.request
    url = (request.url or "").split("?", 1)[0] if request is not None else "?"
    return f"{request.method if request is not None else 'GET'} {url}"
