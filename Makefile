# One command per job. Every target sets up .venv first, so each works from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Nothing is fetched from a model hub at run time; Chroma sends no telemetry.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install serve test lint format bench eval index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the CPU wheel on disk: anything else pulls GBs of CUDA.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/scribeplugin index build

# Builds the index only when it is missing or stale (with a progress bar), then serves.
serve: install
	$(BIN)/scribeplugin index status >/dev/null || $(BIN)/scribeplugin index build
	$(BIN)/scribeplugin serve --host 127.0.0.1 --port 8000

# The browser test of /ui drives Debian's chromium (Playwright comes with the dev extras;
# never `playwright install`). Without chromium that test is skipped, with a message.
# The store and scale-out tests start Debian's PostgreSQL server themselves (initdb + pg_ctl
# in a temporary folder); its binaries live in /usr/lib/postgresql/<version>/bin.
test: install
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) \
		|| echo "warning: chromium not installed; the /ui browser test will be skipped"
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update && apt-get install -y postgresql)
	$(BIN)/scribeplugin lint-corpus
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench tools
	$(BIN)/ruff check --fix src tests bench tools

bench: install
	$(BIN)/python -m bench

eval: install
	$(BIN)/scribeplugin eval --out var/evals/$$(date -u +%Y%m%dT%H%M%SZ)

clean:
	rm -rf var build dist src/*.egg-info
