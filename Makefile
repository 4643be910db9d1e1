# django-tryon: `make demo` runs the example shop, `make test` runs every check.
# Everything runs from .venv, created and kept in sync with pyproject.toml on demand.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
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

# The venv is made without a pip of its own when the interpreter's pip can install into it
# (pip >= 22.3, `pip --python`): ensurepip alone takes 10-20 s on a busy machine.
$(PY):
	@if $(PYTHON) -c 'import pip, sys; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (22, 3))' 2>/dev/null; then \
		echo "$(PYTHON) -m venv --without-pip $(VENV)"; $(PYTHON) -m venv --without-pip $(VENV); \
	else \
		echo "$(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); \
	fi

# The venv's own pip if it has one, else the interpreter's pip pointed at the venv.
PIP = $(if $(wildcard $(VENV)/bin/pip),$(PY) -m pip,$(PYTHON) -m pip --python $(PY))
# Wheels only, no bytecode compiled up front (Python compiles what it imports), no
# version check: what makes a first install take seconds rather than a minute.
PIP_INSTALL = $(PIP) install --quiet --prefer-binary --no-compile --disable-pip-version-check

# Everything: tests, linters, docs, browsers' driver. Reinstalls when pyproject.toml changed.
$(STAMP): pyproject.toml | $(PY)
	$(PIP_INSTALL) -e ".[dev]"
	touch $@ $(DEMO_STAMP)

# What the demo shop needs and no more: the package's dependencies and the `demo` extra,
# read from pyproject.toml. The package itself is not built: the demo puts the checkout on
# PYTHONPATH. A dev install satisfies it too (its target touches this stamp), so `make demo`
# after `make test` installs nothing, and `make test` after `make demo` installs the rest.
$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PY) example_project/requirements.py demo > $(VENV)/requirements-demo.txt
	$(PIP_INSTALL) -r $(VENV)/requirements-demo.txt
	touch $@

# axe-core, injected by the browser tests for the accessibility audit (exactly the lock file).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP)

# The checkout on PYTHONPATH stands in for an install of the package (see $(DEMO_STAMP)).
demo: export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
demo: $(DEMO_STAMP)
	$(MANAGE) seed_demo --migrate
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
