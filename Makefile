# Lantern: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: one per core (`make test PYTEST_WORKERS=0` runs the suite in one process).
PYTEST_WORKERS ?= auto
# Python writes its bytecode caches (`__pycache__/`, ignored by git) even where the environment
# says not to: the suite starts some 60 Python processes (servers, workers, CLI runs, pytest
# inside pytest) that would otherwise compile Lantern again each time, and pytest keeps the
# assertion-rewritten test modules for the next run.
unexport PYTHONDONTWRITEBYTECODE
PWA_SOURCES := $(shell find pwa -path pwa/node_modules -prune -o -path pwa/dist -prune -o -type f -print 2>/dev/null)

.PHONY: run test lint typecheck pwa bench lighthouse clean

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

# The OpenID provider the OIDC sign-in tests run on loopback (tests/oidc; never shipped).
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

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

test: $(VENV)/.installed-dev pwa lint tests/oidc/node_modules/.installed
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup
	@if [ -f pwa/package.json ]; then cd pwa && npm test; fi

# Load figures (not tests): intake throughput beside its yardsticks (wrk), page latency, the
# worker's statements, growth, memory, offline sync. Needs PostgreSQL and wrk too.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/intake.py --seconds 5
	$(BIN)/python bench/paging.py --databases sqlite,postgres --rate 20 --count 200
	$(BIN)/python bench/statements.py --intakes 200
	$(BIN)/python bench/growth.py --databases sqlite,postgres
	$(BIN)/python bench/memory.py --intakes 10000
	$(BIN)/python bench/gc_pauses.py --intakes 1000
	$(BIN)/python bench/support_sync.py
	$(BIN)/python bench/pwa_load.py

# Lighthouse's mobile audit of each role's first screen (a bench, not a test: `make test` never
# needs it). Lighthouse is installed only in bench/lighthouse (pinned, its own package-lock.json).
bench/lighthouse/node_modules/.installed: bench/lighthouse/package.json bench/lighthouse/package-lock.json
	cd bench/lighthouse && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

lighthouse: $(VENV)/.installed-dev pwa bench/lighthouse/node_modules/.installed
	$(BIN)/python bench/lighthouse.py

clean:
	rm -rf $(VENV) var pwa/dist pwa/node_modules tests/oidc/node_modules bench/lighthouse/node_modules
