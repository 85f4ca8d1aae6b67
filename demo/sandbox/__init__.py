"""Sandbox HubSpot and Stripe APIs serving a demo world folder over loopback HTTP.

Connectors are exercised against the real APIs' paging, filters, auth, rate limits and
failures without network or accounts: ``start_sandbox`` for tests, ``run_sandbox`` for
the ``sales-tracker sandbox`` command, ``mutate_world`` to give incremental loads
something to pick up between two runs.
"""

from demo.sandbox.knobs import FAULT_KINDS, Knobs, KnobsError
from demo.sandbox.mutate import MutationSummary, mutate_world
from demo.sandbox.server import SandboxHandle, run_sandbox, start_sandbox

__all__ = [
    "FAULT_KINDS",
    "Knobs",
    "KnobsError",
    "MutationSummary",
    "SandboxHandle",
    "mutate_world",
    "run_sandbox",
    "start_sandbox",
]
