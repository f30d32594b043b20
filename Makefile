# Two commands on a fresh machine: `make run` serves the gateway, `make test` passes the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint venv dev-venv clean bench fuzz

# The runtime only: what `make run` needs.
$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Test tooling on top (pytest, Playwright, schemathesis, hypothesis, ruff): `make test` and friends.
$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

dev-venv: $(BIN)/.dev-installed

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WEB_CONCURRENCY)

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=gateway_project.test_settings $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	scripts/test.sh

clean:
	rm -rf $(VENV) staticfiles .test-db*.sqlite3* .schemathesis

# Benchmarks the production server; DATABASE_URL=postgres://... benchmarks PostgreSQL instead.
bench: venv
	$(BIN)/python bench/run.py

# Fuzzes a throwaway server on a throwaway database with schemathesis; leaves nothing behind.
fuzz: dev-venv
	scripts/fuzz.sh
