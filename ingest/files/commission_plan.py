"""Read the commission plan YAML against its declared schema.

One YAML document per plan (``---`` between plans). A plan that breaks the schema is
quarantined whole, with every problem listed in its reason: paying commissions on half
a plan would be worse than not loading it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from ingest.errors import InvalidFileError
from ingest.exports import REJECTS_SCHEMA, reject_row
from ingest.limits import DEFAULT_LIMITS, REJECT_PAYLOAD_CHARS, RecordLimits

BASES = ("bookings", "collected_cash")
PERIODS = ("month", "quarter")
METHODS = ("marginal", "flat")

PLANS_SCHEMA = pa.schema(
    [
        ("plan", pa.string()),
        ("currency_code", pa.string()),
        ("commissionable_base", pa.string()),
        ("payout_period", pa.string()),
        ("method", pa.string()),
        ("cap_amount", pa.string()),  # exact decimal text, or null: no cap
        ("clawback_window_days", pa.int64()),
        ("valid_from", pa.date32()),
        ("tiers", pa.string()),  # JSON: [{"from_attainment": "0.5", "rate": "0.08"}, ...]
    ]
)
TIERS_SCHEMA = pa.schema(
    [
        ("plan", pa.string()),
        ("tier_number", pa.int64()),
        ("from_attainment", pa.string()),
        ("rate", pa.string()),
    ]
)


@dataclass
class PlanBatch:
    plans: pa.Table
    tiers: pa.Table
    rejects: pa.Table


def read_commission_plans(
    path: Path, limits: RecordLimits = DEFAULT_LIMITS, object_type: str = "commission_plans"
) -> PlanBatch:
    """The plans and tiers of the file. The file is read whole, as one record: one over
    the record limit is a reject, not read past its first bytes."""
    plans: list[dict[str, Any]] = []
    tiers: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    documents: list[Any] = []
    too_large = limits.record_problem(path.stat().st_size)
    if too_large:
        with path.open(encoding="utf-8", errors="replace") as handle:
            prefix = handle.read(REJECT_PAYLOAD_CHARS)
        rejects.append(reject_row(object_type, path, 1, f"the file: {too_large}", prefix))
    else:
        text = path.read_text(encoding="utf-8")
        try:
            documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
        except yaml.YAMLError as error:
            rejects.append(reject_row(object_type, path, 1, f"not valid YAML: {error}", text))
    for number, document in enumerate(documents, start=1):
        plan, problems = _validate(document)
        if problems:
            payload = json.dumps(document, default=str, ensure_ascii=False)
            reason = f"plan {number}: " + "; ".join(problems)
            rejects.append(reject_row(object_type, path, number, reason, payload))
            continue
        plans.append(plan)
        for tier_number, tier in enumerate(json.loads(plan["tiers"]), start=1):
            tiers.append({"plan": plan["plan"], "tier_number": tier_number, **tier})
    names = Counter(plan["plan"] for plan in plans)
    if shared := sorted(name for name, count in names.items() if count > 1):
        raise InvalidFileError(
            f"{path}: more than one plan is named {', '.join(map(repr, shared))}: give each "
            "plan its own name (the plan field)"
        )
    return PlanBatch(
        plans=pa.Table.from_pylist(plans, schema=PLANS_SCHEMA),
        tiers=pa.Table.from_pylist(tiers, schema=TIERS_SCHEMA),
        rejects=pa.Table.from_pylist(rejects, schema=REJECTS_SCHEMA),
    )


def _validate(document: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(document, dict):
        return {}, [f"expected a mapping, got {type(document).__name__}"]
    problems: list[str] = []

    def choice(key: str, allowed: tuple[str, ...]) -> str | None:
        value = document.get(key)
        if value not in allowed:
            problems.append(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
            return None
        return value

    name = document.get("plan")
    if not isinstance(name, str) or not name.strip():
        problems.append("plan: a name is required")
    currency = document.get("currency")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        problems.append(f"currency: expected an ISO 4217 code, got {currency!r}")
    cap = document.get("cap_amount")
    if cap is not None and (_number(cap) is None or _number(cap) <= 0):
        problems.append(f"cap_amount: expected a positive number, got {cap!r}")
    window = document.get("clawback_window_days", 0)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        problems.append(f"clawback_window_days: expected whole days >= 0, got {window!r}")
    valid_from = document.get("valid_from")
    if valid_from is not None and not isinstance(valid_from, date):
        problems.append(f"valid_from: expected a date (YYYY-MM-DD), got {valid_from!r}")
    plan = {
        "plan": name,
        "currency_code": currency.upper() if isinstance(currency, str) else None,
        "commissionable_base": choice("commissionable_base", BASES),
        "payout_period": choice("payout_period", PERIODS),
        "method": choice("method", METHODS),
        "cap_amount": str(cap) if cap is not None else None,
        "clawback_window_days": window,
        "valid_from": valid_from,
        "tiers": json.dumps(_tiers(document.get("tiers"), problems)),
    }
    return plan, problems


def _tiers(raw: Any, problems: list[str]) -> list[dict[str, str]]:
    """Tiers start at attainment 0, rise strictly, and pay rates between 0 and 1."""
    if not isinstance(raw, list) or not raw:
        problems.append("tiers: expected a non-empty list of {from, rate}")
        return []
    tiers: list[dict[str, str]] = []
    previous: Decimal | None = None
    for number, tier in enumerate(raw, start=1):
        start = _number(tier.get("from")) if isinstance(tier, dict) else None
        rate = _number(tier.get("rate")) if isinstance(tier, dict) else None
        if start is None or start < 0:
            problems.append(f"tiers[{number}].from: expected an attainment >= 0")
        elif previous is None and start != 0:
            problems.append("tiers[1].from: the first tier must start at 0")
        elif previous is not None and start <= previous:
            problems.append(f"tiers[{number}].from: tiers must rise, got {start} after {previous}")
        if rate is None or not 0 <= rate <= 1:
            problems.append(f"tiers[{number}].rate: expected a fraction from 0 to 1")
        if start is not None and rate is not None:
            tiers.append({"from_attainment": str(start), "rate": str(rate)})
            previous = start
    return tiers


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
