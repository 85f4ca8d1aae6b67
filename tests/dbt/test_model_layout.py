"""The dbt project's layout shows its layers: each model sits in the folder of its layer,
and no intermediate model is built for nobody."""

from __future__ import annotations

from typing import Any

# The folder under models/ and the schema of each layer (dbt_project.yml's folder configs).
LAYER_SCHEMAS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "core": "core",
    "marts": "marts",
}


def models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]


def orphans(manifest: dict[str, Any]) -> list[str]:
    """Intermediate models that no model, snapshot or exposure reads: an intermediate model
    exists only to feed the layers above it."""
    readers = {"model", "snapshot", "exposure", "semantic_model", "metric"}
    found = []
    for node in models(manifest):
        if node["config"].get("schema") != "intermediate":
            continue
        children = manifest["child_map"].get(node["unique_id"], [])
        if not any(child.split(".")[0] in readers for child in children):
            found.append(node["name"])
    return sorted(found)


def test_every_model_is_in_the_folder_of_its_layer(manifest: dict[str, Any]) -> None:
    misplaced = [
        f"{node['original_file_path']} (schema {node['config'].get('schema')})"
        for node in models(manifest)
        if LAYER_SCHEMAS.get(node["original_file_path"].split("/")[1])
        != node["config"].get("schema")
    ]
    assert misplaced == []


def test_no_intermediate_model_is_an_orphan(manifest: dict[str, Any]) -> None:
    assert orphans(manifest) == []


def test_an_intermediate_model_read_by_nothing_is_found(manifest: dict[str, Any]) -> None:
    # The check above can fail: cut an intermediate model off from its readers.
    node = next(n for n in models(manifest) if n["config"].get("schema") == "intermediate")
    cut = {**manifest, "child_map": {**manifest["child_map"], node["unique_id"]: []}}
    assert orphans(cut) == [node["name"]]
