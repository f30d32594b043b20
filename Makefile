# Two commands on a fresh machine: `make run` serves the gateway, `make test` passes the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint venv clean bench

$(BIN)/.installed: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WEB_CONCURRENCY)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=gateway_project.test_settings $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	scripts/test.sh

clean:
	rm -rf $(VENV) staticfiles .test-db.sqlite3*

# Benchmarks the production server; DATABASE_URL=postgres://... benchmarks PostgreSQL instead.
bench: venv
	$(BIN)/python bench/run.py
