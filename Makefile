# The two commands of the README:
#   make demo   install everything, migrate a SQLite file, load the demo data, serve on :8000
#   make test   install everything, run the whole suite on SQLite and PostgreSQL, browsers included
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PostgreSQL for the second test run: the machine's cluster, database "test".
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help demo serve install test test-sqlite test-postgres test-quick browsers libreoffice lint messages

help:
	@echo "make demo    install, migrate, load demo data and serve on http://127.0.0.1:8000/"
	@echo "make test    install and run the whole test suite (SQLite + PostgreSQL + browsers)"
	@echo "make test-quick   the HTTP tests on SQLite only (daily work; CI runs 'make test')"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/pingyi migrate
	$(BIN)/pingyi demo
	$(BIN)/pingyi serve --host 127.0.0.1 --port 8000

browsers:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's Chromium: sudo apt-get install -y chromium" >&2; exit 1; fi; }

# The ranking workbook test opens the xlsx with LibreOffice, as the office's own spreadsheet would.
libreoffice:
	@command -v soffice >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc fonts-wqy-microhei >/dev/null; \
	  else echo "Without LibreOffice the workbook is not opened by a real client: sudo apt-get install -y --no-install-recommends libreoffice-calc fonts-wqy-microhei" >&2; \
	  if [ -n "$$CI" ]; then exit 1; fi; fi; }

test: install browsers libreoffice
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	env -u DATABASE_URL -u PINGYI_TEST_DATABASE_URL $(BIN)/pytest

test-postgres: install
	@if $(BIN)/python -c "import asyncio, asyncpg, sys; asyncio.run(asyncpg.connect('$(PG_TEST_URL)', timeout=3))" 2>/dev/null; then \
	  echo "== PostgreSQL: $(PG_TEST_URL)"; \
	  PINGYI_TEST_DATABASE_URL=$(PG_TEST_URL) PINGYI_BROWSER_SMOKE=1 $(BIN)/pytest; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL is not reachable at $(PG_TEST_URL): CI needs it" >&2; exit 1; \
	else echo "== PostgreSQL not reachable at $(PG_TEST_URL): skipped (set PG_TEST_URL, or start the cluster)"; fi

test-quick: install
	env -u DATABASE_URL -u PINGYI_TEST_DATABASE_URL $(BIN)/pytest -m "not browser" -x

lint: install
	$(BIN)/ruff check .

messages: install
	$(BIN)/pybabel extract -F babel.cfg -o locale/messages.pot --no-location --sort-output --project=pingyi .
	$(BIN)/pybabel update -i locale/messages.pot -d locale --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d locale --statistics
