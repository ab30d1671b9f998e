# Comptoir — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= 1

.PHONY: demo test bench lint install messages services-start services-stop clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -U pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install (with the Debian libraries the PDFs need), migrate SQLite, seed demo data,
## print the login, serve on :8000
demo: $(STAMP)
	scripts/test-services.sh install-pdf
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --scale $(SCALE)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: Debian packages when missing (PostgreSQL, Redis, Chromium, the PDF libraries),
## throwaway PostgreSQL + Redis, pytest, stop
test: $(STAMP)
	scripts/test-services.sh install
	set -a; eval "$$(scripts/test-services.sh start)"; set +a; \
	  trap 'scripts/test-services.sh stop' EXIT; \
	  $(BIN)/pytest $(PYTEST_ARGS)

## make bench: benchmark scripts, each ending with one JSON line of figures
bench: $(STAMP)
	mkdir -p var
	scripts/test-services.sh install
	set -a; eval "$$(scripts/test-services.sh start)"; set +a; \
	  trap 'scripts/test-services.sh stop' EXIT; \
	  export BENCH_DATABASE_URL="$$DATABASE_URL"; \
	  for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

## make messages: refresh and compile the translations (needs gettext)
messages: $(STAMP)
	command -v msgfmt >/dev/null || apt-get install -y -qq gettext
	$(BIN)/python manage.py makemessages -l fr -l en --ignore='.venv/*' --ignore='var/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

services-start:
	scripts/test-services.sh install
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

clean:
	rm -rf $(VENV) var
