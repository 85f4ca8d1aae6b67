"""Waiting for another run to let go (the warehouse lock, the warehouse slot): say whom
we wait for at intervals, give up after the configured time with what to do."""

from __future__ import annotations

import time
from collections.abc import Callable

from ingest.errors import RunWaitTimeoutError

POLL_SECONDS = 0.5
SAY_EVERY_SECONDS = 15.0


def wait_until_free(
    holder: Callable[[], str | None],
    waiting_for: Callable[[str], str],
    advice: str,
    wait_seconds: float,
    say: Callable[[str], None],
) -> None:
    """Return once ``holder()`` names no one; meanwhile say "Waiting for
    <waiting_for(holder)>" every SAY_EVERY_SECONDS, and after ``wait_seconds`` raise
    ``RunWaitTimeoutError`` ending with ``advice``."""
    deadline = time.monotonic() + wait_seconds
    next_say = time.monotonic()
    while (who := holder()) is not None:
        now = time.monotonic()
        if now >= deadline:
            raise RunWaitTimeoutError(
                f"Gave up after {wait_seconds:g} s waiting for {waiting_for(who)}: {advice}"
            )
        if now >= next_say:
            say(f"Waiting for {waiting_for(who)} (giving up in {deadline - now:.0f} s)")
            next_say = now + SAY_EVERY_SECONDS
        time.sleep(POLL_SECONDS)
