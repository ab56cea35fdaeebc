# ServiceCircle: `make run` serves the app on 127.0.0.1:8000; `make test` runs every test.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app app
PORT ?= 8000
HOST ?= 127.0.0.1
PYTHON ?= python3

.PHONY: run setup venv deps dev-deps translations static migrate seed test test-fast test-postgres browser-deps messages vendor bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(VENV)/bin/python

$(VENV)/.deps: requirements.txt | venv
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

translations: deps
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -f >/dev/null

migrate: deps
	$(FLASK) db upgrade

# Brotli and gzip copies of the static files, served by WhiteNoise (ops/static.py)
static: deps
	STATIC_COMPRESS_AT_START=0 $(FLASK) static

seed: migrate
	$(FLASK) demo seed --if-empty

setup: deps translations static migrate seed

# the web server and the worker together (Procfile.dev, honcho); Ctrl-C stops both
run: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" HOST=$(HOST) $(VENV)/bin/honcho -f Procfile.dev start -p $(PORT)

# Debian's chromium and CJK fonts for the browser tests, when missing and apt is usable.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "browser-deps: apt-get failed; browser tests will be skipped"; \
	  else echo "browser-deps: chromium missing and apt unusable; browser tests will be skipped"; fi; \
	fi

test: dev-deps translations static browser-deps
	$(VENV)/bin/pytest -q -n auto --dist loadfile

test-fast: dev-deps translations static
	$(VENV)/bin/pytest -q -m "not browser and not load"

# The database tests again against PostgreSQL (database `test` on 127.0.0.1:5432 by default), with the
# sign-in limits (and the two-host test's) in Redis when TEST_REDIS_URL names one (empty: in memory).
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
test-postgres: dev-deps translations static
	TEST_DATABASE_URL=$(TEST_PG_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) TEST_PG_URL=$(TEST_PG_URL) $(VENV)/bin/pytest -q -m "not browser" tests/services tests/blueprints tests/load tests/demo

messages: deps
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --omit-header . >/dev/null
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete >/dev/null
	$(PY) scripts/po_fill.py
	$(VENV)/bin/pybabel compile --use-fuzzy -d translations -f >/dev/null

vendor:
	scripts/vendor.sh

bench: dev-deps translations
	$(PY) bench/checkin.py; $(PY) bench/geo.py; $(PY) bench/study.py

clean:
	rm -rf $(VENV) instance/*.db*
