"""docs/marts.md is the marts' contract, and the dbt project is held to it.

The document lists every built mart (its area folder, grain, unique key, and required
columns with their contract types) and the marts planned by later issues. The manifest
(parsed from the working tree by the ``manifest`` fixture) must agree with it. That a
warehouse keeps each contract is checked by every ``dbt build`` (the contracts are
enforced).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from ingest.settings import PROJECT_ROOT

MARTS_DOCUMENT = PROJECT_ROOT / "docs" / "marts.md"
MARTS_SCHEMA = "marts"

Node = dict[str, Any]


@dataclass(frozen=True)
class BuiltMart:
    """A built mart as the document describes it."""

    name: str
    area: str
    unique_key: tuple[str, ...]
    column_types: dict[str, str]


@dataclass(frozen=True)
class MartsContract:
    built: dict[str, BuiltMart]
    planned: dict[str, tuple[str, ...]]


def backticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def sections(text: str, level: str) -> dict[str, str]:
    """The document's sections at one heading level (``##``), by heading."""
    parts = re.split(rf"^{level} (.+)$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def table_rows(text: str) -> list[list[str]]:
    """Body rows of the one markdown table in ``text``, cells stripped (no header row)."""
    rows = [line.strip().strip("|").split("|") for line in text.splitlines()]
    cells = [[cell.strip() for cell in row] for row in rows if len(row) > 1]
    return [row for row in cells if not set("".join(row)) <= set("-:")][1:]


def parse_built_mart(name: str, text: str) -> BuiltMart:
    fields = dict(re.findall(r"^- ([a-z ]+): (.+)$", text, flags=re.MULTILINE))
    (area,) = backticked(fields["area"])
    columns = {backticked(column)[0]: backticked(type_)[0] for column, type_ in table_rows(text)}
    return BuiltMart(name, area, tuple(backticked(fields["unique key"])), columns)


def parse_marts_contract(text: str) -> MartsContract:
    top = sections(text, "##")
    built = {
        (name := backticked(heading)[0]): parse_built_mart(name, body)
        for heading, body in sections(top["Built marts"], "###").items()
    }
    planned = {
        backticked(mart)[0]: tuple(backticked(required))
        for mart, _grain, required, _issue in table_rows(top["Planned marts"])
    }
    return MartsContract(built, planned)


def normalized_type(data_type: str | None) -> str:
    return " ".join((data_type or "").lower().replace(", ", ",").split())


@pytest.fixture(scope="module")
def contract() -> MartsContract:
    return parse_marts_contract(MARTS_DOCUMENT.read_text())


@pytest.fixture(scope="module")
def models(manifest: dict[str, Any]) -> dict[str, Node]:
    nodes = manifest["nodes"].values()
    return {node["name"]: node for node in nodes if node["resource_type"] == "model"}


@pytest.fixture(scope="module")
def tests_by_model(manifest: dict[str, Any]) -> dict[str, list[Node]]:
    by_model: dict[str, list[Node]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            by_model.setdefault(node["attached_node"], []).append(node)
    return by_model


def test_the_document_is_read_whole(contract: MartsContract) -> None:
    """A parser that read nothing would let every other test pass."""
    rep_months = contract.built["mart_rep_performance_monthly"]
    assert (rep_months.area, rep_months.unique_key) == ("sales", ("rep_id", "month"))
    assert rep_months.column_types["bookings_amount"] == "numeric(18, 2)"
    assert "mart_ar_aging" in contract.built
    assert "rep_id" in contract.planned["mart_commission_payouts"]
    assert all(mart.column_types and mart.unique_key for mart in contract.built.values())
    assert all(contract.planned.values())


def test_every_documented_mart_is_built_with_its_contract_enforced(
    contract: MartsContract, models: dict[str, Node]
) -> None:
    problems = []
    for mart in contract.built.values():
        node = models.get(mart.name)
        if node is None:
            problems.append(f"{mart.name}: no such model")
            continue
        if node["schema"] != MARTS_SCHEMA:
            problems.append(f"{mart.name}: in schema {node['schema']}, not {MARTS_SCHEMA}")
        if not node["original_file_path"].startswith(f"models/marts/{mart.area}/"):
            problems.append(f"{mart.name}: at {node['original_file_path']}, not in {mart.area}/")
        if not node["config"]["contract"]["enforced"]:
            problems.append(f"{mart.name}: contract not enforced")
        for column, documented in mart.column_types.items():
            if column not in node["columns"]:
                problems.append(f"{mart.name}.{column}: no such column")
                continue
            declared = node["columns"][column].get("data_type")
            if normalized_type(declared) != normalized_type(documented):
                problems.append(f"{mart.name}.{column}: {declared}, documented {documented}")
    assert problems == []


def test_every_documented_unique_key_is_tested(
    contract: MartsContract, models: dict[str, Node], tests_by_model: dict[str, list[Node]]
) -> None:
    untested = []
    for mart in contract.built.values():
        node = models[mart.name]
        keys_tested = set()
        for test in tests_by_model.get(node["unique_id"], []):
            metadata = test.get("test_metadata") or {}
            if metadata.get("name") == "unique":
                keys_tested.add((test["column_name"],))
            elif metadata.get("name") == "unique_combination_of_columns":
                keys_tested.add(tuple(metadata["kwargs"]["combination_of_columns"]))
        if not {tuple(sorted(key)) for key in keys_tested} & {tuple(sorted(mart.unique_key))}:
            untested.append(f"{mart.name}: {mart.unique_key} (tested: {sorted(keys_tested)})")
    assert untested == []


def test_every_mart_of_the_marts_schema_is_documented(
    contract: MartsContract, models: dict[str, Node]
) -> None:
    in_schema = {name for name, node in models.items() if node["schema"] == MARTS_SCHEMA}
    assert sorted(in_schema - set(contract.built)) == []


def test_a_planned_mart_is_not_built_yet(contract: MartsContract, models: dict[str, Node]) -> None:
    """A mart that is built moves out of "Planned marts", with its contract types."""
    assert sorted(set(contract.planned) & (set(models) | set(contract.built))) == []
