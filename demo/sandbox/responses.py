"""Requests, responses and each system's error body, independent of the HTTP server.

Clients branch on error bodies (HubSpot's ``category``, Stripe's ``error.type``), so every
error the sandbox sends, from a 401 to an injected 503, has the shape of the system whose
endpoint was called.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["hubspot", "stripe"]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes = b""
    base_url: str = ""  # scheme and host the client used, for HubSpot's paging links

    def param(self, name: str) -> str | None:
        """The last value of a query parameter, as most servers read repeated ones."""
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Response:
    status: int
    body: Any  # JSON-serializable
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by an endpoint; the server turns it into ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def api_of(path: str) -> Api:
    """Stripe lives under /v1; everything else answers in HubSpot's shape."""
    return "stripe" if path == "/v1" or path.startswith("/v1/") else "hubspot"


HUBSPOT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    404: "OBJECT_NOT_FOUND",
    405: "VALIDATION_ERROR",
    429: "RATE_LIMITS",
}
STRIPE_TYPES = {401: "invalid_request_error", 429: "invalid_request_error"}


def hubspot_error(status: int, message: str, category: str | None = None, **extra: Any) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category or HUBSPOT_CATEGORIES.get(status, "INTERNAL_ERROR"),
        **extra,
    }
    return Response(status, body)


def stripe_error(
    status: int,
    message: str,
    error_type: str | None = None,
    code: str | None = None,
    param: str | None = None,
) -> Response:
    error: dict[str, Any] = {
        "type": error_type
        or STRIPE_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error"),
        "message": message,
    }
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return Response(status, {"error": error})


def error_response(api: Api, status: int, message: str) -> Response:
    """A plain error of ``status`` in the shape of ``api``."""
    if api == "stripe":
        return stripe_error(status, message)
    return hubspot_error(status, message)


def unauthorized(api: Api, token_given: bool) -> Response:
    """401 in each system's words; the token given is never echoed."""
    if api == "stripe":
        if token_given:
            return stripe_error(401, "Invalid API Key provided.")
        return stripe_error(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    if token_given:
        return hubspot_error(
            401,
            "Authentication credentials not found or not valid: the access token given "
            "does not match this sandbox.",
        )
    return hubspot_error(
        401,
        "Authentication credentials not found. This API supports OAuth 2.0 authentication "
        "and you can find more details at https://developers.hubspot.com/docs/methods/auth"
        "/oauth-overview",
    )


def hubspot_rate_headers(per_second: int, remaining: int) -> dict[str, str]:
    """The limits HubSpot announces on each answer, for a limit of ``per_second`` in any
    rolling second: the interval pair every app gets and the secondly pair some apps get."""
    return {
        "X-HubSpot-RateLimit-Interval-Milliseconds": "1000",
        "X-HubSpot-RateLimit-Max": str(per_second),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Secondly": str(per_second),
        "X-HubSpot-RateLimit-Secondly-Remaining": str(remaining),
    }


def rate_limited(api: Api, retry_after: int) -> Response:
    headers = {"Retry-After": str(retry_after)}
    if api == "stripe":
        error = stripe_error(
            429,
            "Too many requests hit the API too quickly. Retry after the delay given in "
            "Retry-After.",
            code="rate_limit",
        )
        return Response(429, error.body, headers)
    error = hubspot_error(
        429,
        "You have reached your secondly limit.",
        errorType="RATE_LIMIT",
        policyName="SECONDLY",
    )
    return Response(429, error.body, headers)
