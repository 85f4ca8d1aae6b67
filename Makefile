# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, else the one pip installs for this Python.
UV = $(or $(shell command -v uv 2>/dev/null),python3 -m uv)
VENV_STAMP := .venv/.synced
MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project \( -path dbt_project/target -o -path dbt_project/logs \) -prune -o -type f -print)

.PHONY: help setup demo test bench crash-trials dev docs lint format wheel clean

help:
	@echo "make demo   run daily_refresh on the demo world (DuckDB, no network) and print KPIs"
	@echo "make test   run the test suite (starts its own PostgreSQL server)"
	@echo "make bench  print throughput and peak memory at scales s and m (BENCH_SCALES=...)"
	@echo "make crash-trials  SIGKILL runs at random points, rerun, compare to a clean run"
	@echo "                   (CRASH_TRIALS=20 CRASH_SCALE=xs CRASH_SEED=1)"
	@echo "make dev    open the Dagster UI on http://127.0.0.1:3000"
	@echo "make docs   write docs/kpis.md from the KPI doc blocks in dbt_project/docs/kpis/"
	@echo "make lint   ruff check, format check and the import contracts (pyproject.toml)"
	@echo "make wheel  build the wheel into dist/, with the dbt project and its manifest"
	@echo "make clean  remove the warehouse, Dagster storage and dbt artifacts"

$(VENV_STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

# dagster-dbt loads the manifest at import; it is prepared here, not on every load.
$(MANIFEST): $(VENV_STAMP) $(DBT_FILES)
	cd dbt_project && ../.venv/bin/dbt parse --quiet
	@touch $@

setup: $(VENV_STAMP) $(MANIFEST)

demo: setup
	$(UV) run --frozen sales-tracker demo

# Two workers, as CI has: the two long warehouse builds run side by side, the other tests
# around them.
test: setup
	$(UV) run --frozen pytest -n 2 --dist loadgroup --durations 30

BENCH_SCALES ?= s,m
bench: setup
	$(UV) run --frozen python -m tests.bench --scales $(BENCH_SCALES)

# Each trial kills `sales-tracker run` in one of ingest, checks or dbt, reruns it plainly
# and compares raw tables and marts to a clean run; CRASH_SEED replays the kill points.
CRASH_TRIALS ?= 20
CRASH_SCALE ?= xs
CRASH_SEED ?= 1
crash-trials: setup
	$(UV) run --frozen python -m tests.crash --trials $(CRASH_TRIALS) --scale $(CRASH_SCALE) \
		--seed $(CRASH_SEED)

dev: setup
	$(UV) run --frozen sales-tracker dev

docs: $(MANIFEST)
	$(UV) run --frozen python dbt_project/scripts/kpi_page.py

lint: $(VENV_STAMP)
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports --no-logo

format: $(VENV_STAMP)
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# The wheel ships the manifest dagster-dbt loads at import (pyproject.toml): parse first.
wheel: $(MANIFEST)
	$(UV) build --wheel

clean:
	rm -rf warehouse .dagster dbt_project/target dbt_project/logs dist
