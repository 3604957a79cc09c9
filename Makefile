# Lantern: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: one per core (`make test PYTEST_WORKERS=0` runs the suite in one process).
PYTEST_WORKERS ?= auto
PWA_SOURCES := $(shell find pwa -path pwa/node_modules -prune -o -path pwa/dist -prune -o -type f -print 2>/dev/null)

.PHONY: run test lint typecheck pwa bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

# Built only when pwa/package.json exists, and again only when its sources change.
pwa/dist/.built: $(PWA_SOURCES)
	@if [ -f pwa/package.json ]; then \
		cd pwa && npm ci --no-audit --no-fund --loglevel=error && npm run build && touch dist/.built; \
	fi

pwa: pwa/dist/.built

run: $(VENV)/.installed-run pwa
	$(BIN)/lantern demo
	@echo "Open http://$(HOST):$(PORT)/ (API docs at http://$(HOST):$(PORT)/docs)"
	$(BIN)/lantern serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check api workers tests bench
	$(BIN)/ruff format --check api workers tests bench
	$(BIN)/mypy

# mypy over api/ and workers/ (settings in pyproject.toml); also part of `make lint`.
typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

test: $(VENV)/.installed-dev pwa lint
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup
	@if [ -f pwa/package.json ]; then cd pwa && npm test; fi

# Load figures (not tests): intake throughput, page latency, offline sync. Needs PostgreSQL too.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/paging.py --databases sqlite,postgres --rate 20 --count 200
	$(BIN)/python bench/support_sync.py
	$(BIN)/python bench/pwa_load.py

clean:
	rm -rf $(VENV) var pwa/dist pwa/node_modules
