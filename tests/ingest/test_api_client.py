"""The API client's waits against the sandbox: what a 429 asks is what it waits, the rate
HubSpot announces keeps it clear of 429s, failures back off briefly and then name the
system and the endpoint. The waits are read from an injected pacer (its clock and sleep),
not timed, except where the sandbox's own rolling-second limit is the judge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.sandbox import Knobs, SandboxHandle, start_sandbox
from ingest.api import ApiSession, backoff_seconds, retry_after_seconds
from ingest.api_pacing import Pacer
from ingest.errors import ApiError, SettingsError
from ingest.settings import ApiCredentials, Settings

TOKEN = "api-client-test-token"
OWNERS = "/crm/v3/owners"
CUSTOMERS = "/v1/customers"


class FakeClock:
    """A clock that moves only when slept on; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A sandbox over a world of one owner and one customer, enough to call both APIs."""
    (tmp_path / "crm").mkdir()
    (tmp_path / "payments").mkdir()
    owner = {"id": "1", "email": "owner@example.com", "archived": False}
    (tmp_path / "crm" / "owners.jsonl").write_text(json.dumps(owner) + "\n")
    customer = {"id": "cus_1", "object": "customer", "created": 1}
    (tmp_path / "payments" / "customers.jsonl").write_text(json.dumps(customer) + "\n")
    with start_sandbox(tmp_path, token=TOKEN) as handle:
        yield handle


def session(sandbox: SandboxHandle, system: str, pacer: Pacer, **options: float) -> ApiSession:
    credentials = ApiCredentials(sandbox.base_url, TOKEN, "SALES_TRACKER_TEST_TOKEN", **options)
    return ApiSession(system, credentials, pacer=pacer)


def set_knobs(sandbox: SandboxHandle, **knobs: object) -> None:
    sandbox.state.set_knobs(Knobs(**knobs))  # type: ignore[arg-type]


def test_a_429_waits_what_retry_after_asks(sandbox: SandboxHandle) -> None:
    set_knobs(sandbox, fault_schedule=((1, "429"),))  # the sandbox's 429 asks for 1 s
    clock = FakeClock()
    pacer = Pacer(clock, clock.sleep)
    assert session(sandbox, "Stripe", pacer).get_json(CUSTOMERS)["data"][0]["id"] == "cus_1"
    [wait] = clock.sleeps
    assert 1.0 <= wait <= 1.1, wait  # Retry-After and a little jitter, no more
    assert sandbox.state.stats.snapshot()["total"] == 2


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    date = "Mon, 07 Dec 2026 12:00:30 GMT"
    assert retry_after_seconds(date, now=datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) == 30.0


def test_the_announced_rate_keeps_the_client_clear_of_429s(sandbox: SandboxHandle) -> None:
    # 40 calls at 25 per rolling second: a client that bursts on loopback gets 429s.
    set_knobs(sandbox, rate_limit_per_second=25)
    pacer = Pacer()
    client = session(sandbox, "HubSpot", pacer)
    for _ in range(40):
        client.get_json(OWNERS)
    stats = sandbox.state.stats.snapshot()
    assert stats["total"] == 40  # every call answered at its first attempt: no 429
    assert "429" not in stats["statuses"], stats["statuses"]
    assert pacer.interval == pytest.approx(1 / (25 * 0.9))


def test_failures_back_off_briefly_then_name_the_system_and_endpoint(
    sandbox: SandboxHandle,
) -> None:
    set_knobs(sandbox, fault_rate=1.0, fault_kinds=("503",))
    clock = FakeClock()
    client = session(sandbox, "Stripe", Pacer(clock, clock.sleep))
    with pytest.raises(ApiError) as failure:
        client.get_json(CUSTOMERS, {"limit": 1})
    assert str(failure.value) == (
        f"The Stripe API still failed at GET {sandbox.base_url}{CUSTOMERS} after 6 attempts; "
        "the last: HTTP 503"
    )
    assert TOKEN not in str(failure.value)
    # 0.25 s doubling, each in the upper half of its step, capped at 4 s.
    assert len(clock.sleeps) == 5
    for number, wait in enumerate(clock.sleeps, start=1):
        ceiling = min(4.0, 0.25 * 2 ** (number - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert max(backoff_seconds(n) for n in range(1, 20)) <= 4.0


def test_no_answer_within_the_timeout_is_retried_and_named(sandbox: SandboxHandle) -> None:
    set_knobs(sandbox, fault_rate=1.0, fault_kinds=("timeout",), timeout_delay_seconds=0.5)
    clock = FakeClock()
    pacer = Pacer(clock, clock.sleep)
    client = session(sandbox, "HubSpot", pacer, timeout_seconds=0.2, max_attempts=2)
    with pytest.raises(ApiError, match=r"after 2 attempts; the last: no answer within 0.2 s"):
        client.get_json(OWNERS)
    assert sandbox.state.stats.snapshot()["faults"] == {"timeout": 2}


def test_the_read_timeout_and_the_attempts_are_settings_of_both_apis() -> None:
    env = {
        "SALES_TRACKER_HUBSPOT_TOKEN": "pat",
        "SALES_TRACKER_STRIPE_KEY": "sk",
        "SALES_TRACKER_API_TIMEOUT_SECONDS": "2.5",
        "SALES_TRACKER_API_MAX_ATTEMPTS": "9",
    }
    settings = Settings.from_env(env)
    for api in (settings.hubspot, settings.stripe):
        assert api and (api.timeout_seconds, api.max_attempts) == (2.5, 9)
    assert (
        Settings.from_env({**env, "SALES_TRACKER_API_MAX_ATTEMPTS": ""}).hubspot.max_attempts == 6
    )
    with pytest.raises(SettingsError, match="SALES_TRACKER_API_TIMEOUT_SECONDS must be a number"):
        Settings.from_env({**env, "SALES_TRACKER_API_TIMEOUT_SECONDS": "0"})
    with pytest.raises(SettingsError, match="SALES_TRACKER_API_MAX_ATTEMPTS must be a whole"):
        Settings.from_env({**env, "SALES_TRACKER_API_MAX_ATTEMPTS": "0"})
