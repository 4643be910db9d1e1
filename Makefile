# django-tryon: `make demo` runs the example shop, `make test` runs every check.
# Everything runs from .venv, created and kept in sync with pyproject.toml on demand.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
MANAGE := $(PY) example_project/manage.py
PORT ?= 8000
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=  # e.g. make test-sqlite PYTEST_ARGS="-k seed -x"
CI ?=

# The targets share one database file and one .venv: never run them side by side.
.NOTPARALLEL:
.PHONY: help install demo demo-reset test lint test-sqlite test-postgres matrix bench soak docs

help:
	@echo "make demo     run the example shop (PORT=$(PORT)) with a task cluster; Ctrl-C stops both"
	@echo "make test     lint, type-check, then the test suite on SQLite and on Postgres"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make matrix   the nox matrix (Python 3.11 + Django 5.2, Python 3.12 + Django 6.1)"
	@echo "make bench | soak | docs | demo-reset"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# axe-core, injected by the browser tests for the accessibility audit (exactly the lock file).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP)

demo: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	exec $(PY) example_project/run_demo.py --port $(PORT)

demo-reset:
	rm -rf example_project/db.sqlite3 example_project/db.sqlite3-wal example_project/db.sqlite3-shm example_project/media example_project/private

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy django_tryon

# pytest exits 5 when it collected nothing: that must fail, not pass quietly.
define run_pytest
	$(PY) -m pytest $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc
endef

# Tests marked `postgres` need Postgres itself: they run in the Postgres pass below (under
# CI=true they would fail here instead of skipping).
test-sqlite: $(STAMP) $(NODE_STAMP)
	@echo "== tests on SQLite"
	$(call run_pytest,-m "not postgres" $(PYTEST_ARGS))
	@echo "== the django-oscar shop (its own settings)"
	$(call run_pytest,tests/oscar_project --ds=tests.oscar_project.settings -m "not postgres" $(PYTEST_ARGS))

# The Postgres pass runs the newest Django (a nox session, see noxfile.py) while the SQLite
# pass above runs the oldest supported one: every database and Django line once per run.
# Outside CI a missing Postgres is reported and skipped; under CI=true it fails the run.
test-postgres: $(STAMP)
	@echo "== tests on Postgres ($(POSTGRES_URL)), newest Django"
	@if $(PY) -c "import psycopg; psycopg.connect('$(POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/nox -s postgres -- $(PYTEST_ARGS); \
	elif [ "$(CI)" = "true" ]; then \
		echo "Postgres is not reachable at $(POSTGRES_URL)" >&2; exit 1; \
	else \
		echo "SKIPPED: Postgres is not reachable at $(POSTGRES_URL)"; \
	fi

test: lint test-sqlite test-postgres

matrix: $(STAMP)
	$(VENV)/bin/nox

bench: $(STAMP)
	@test -f bench/run_all.py || { echo "bench/run_all.py does not exist yet" >&2; exit 1; }
	$(PY) bench/run_all.py

soak: $(STAMP)
	@test -f bench/soak.py || { echo "bench/soak.py does not exist yet" >&2; exit 1; }
	$(PY) bench/soak.py

docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict
