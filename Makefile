# RecoveryStat developer commands. `make run` and `make test` work from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
export HOST PORT

.PHONY: run serve test lint test-clock bench install install-test migrate seed demo-accounts clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	RECOVERYSTAT_ENV=$${RECOVERYSTAT_ENV:-development} $(BIN)/flask --app app db upgrade

seed: migrate
	RECOVERYSTAT_ENV=$${RECOVERYSTAT_ENV:-development} $(BIN)/flask --app app seed --if-empty

demo-accounts: seed
	RECOVERYSTAT_ENV=$${RECOVERYSTAT_ENV:-development} $(BIN)/flask --app app demo-accounts

## Development server with seed data and demo accounts on http://$(HOST):$(PORT)
run: demo-accounts
	@echo "Serving RecoveryStat on http://$(HOST):$(PORT)"
	RECOVERYSTAT_ENV=development $(BIN)/python app.py

## Production server (gunicorn); needs SECRET_KEY and a migrated database; creates no accounts.
serve: install
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY is not set: export a long random value first." >&2; exit 2; }
	RECOVERYSTAT_ENV=production $(BIN)/gunicorn --config gunicorn.conf.py app:server

## Lint (ruff) and type-check (mypy on models/); part of `make test`.
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

## Lint, then the whole test suite; PostgreSQL and browser tests run when TEST_DATABASE_URL is set and Chromium is
## installed. Test files are spread over TEST_WORKERS processes (pytest-xdist); TEST_WORKERS=0 runs them in one.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## The suite (database and callback tests, SQLite) on shifted clocks: it must pass whatever the date is.
## Needs libfaketime (`apt-get install faketime`).
SHIFTED_CLOCKS ?= 2026-12-02 2030-06-15
test-clock: install-test
	@command -v faketime >/dev/null || { echo "faketime is not installed: apt-get install faketime" >&2; exit 2; }
	for day in $(SHIFTED_CLOCKS); do \
	  echo "== tests with the machine's clock at $$day"; \
	  FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$$day 12:00:00" $(BIN)/python -m pytest -q -p no:cacheprovider \
	    -n $(TEST_WORKERS) --dist loadfile \
	    -m "not browser and not services" -k "not postgres" || exit 1; \
	done

## The app as served (gunicorn + PostgreSQL + Redis, loaded with wrk beside a bare Flask route), the read path,
## growth, the browser's first load, writes; last line one JSON object. Needs TEST_DATABASE_URL, REDIS_URL and wrk.
## BENCH_ARGS=--quick for a smoke run (< 3 min). The read path alone: .venv/bin/python tests/benchmark.py
bench: install-test
	@command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk (the served figures need it)" >&2; exit 2; }
	$(BIN)/python tests/bench_served.py $(BENCH_ARGS)

clean-venv:
	rm -rf $(VENV)
