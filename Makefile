# Two commands do all set-up: `make run` (the whole stack) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench bench-batch bench-parked bench-chaos bench-sandbox screenshots clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/onboard dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

pytest: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.throughput

# BATCH="--rows 200" for a shorter run
BATCH ?= --rows 2000
bench-batch: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.batch $(BATCH)

# PARKED="--count 1000" for a shorter run
PARKED ?= --count 1000 --count 10000
bench-parked: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.parked $(PARKED)

# CHAOS="--keep .data/chaos" keeps the run's logs and databases
bench-chaos: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.chaos $(CHAOS)

bench-sandbox: $(STAMP)
	$(BIN)/python -m bench.sandbox

# docs/ui/*.png from headless Chromium against the real stack (needs chromium; not part of `make test`)
screenshots: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m docs.ui.capture

clean:
	rm -rf $(VENV) .data .mypy_cache .pytest_cache .ruff_cache
