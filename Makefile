# 网上党校 — `make run` serves the site with demo data; `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PORT ?= 5000
# One worker per core, each with threads: SQLite admits one writer at a time, and the threads
# of a worker share its commits (partyschool/group_commit.py, bench/exam_capacity.py); on
# PostgreSQL more workers than cores cost CPU in context switches (bench/exam_day.py).
WORKERS ?= 2
THREADS ?= 8

.PHONY: run test test-sqlite test-postgres test-cluster lint bench system venv db

system:
	@scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

db: system venv
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

# The periodic jobs (finalize overdue exams, refresh standings) run beside the web server and
# stop with it; `flask jobs run` is safe on several servers at once.
run: db
	@echo "网上党校: http://127.0.0.1:$(PORT)  (demo password: partyschool-demo)"
	@$(FLASK) jobs run & jobs=$$!; trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn --workers $(WORKERS) --worker-class gthread --threads $(THREADS) \
		--no-control-socket --bind 127.0.0.1:$(PORT) app:app

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test-sqlite: system venv
	$(PY) -m pytest

test-postgres: system venv
	scripts/with-postgres $(PY) -m pytest

# The deploy kit on loopback: PostgreSQL, Redis, two gunicorn servers and nginx (about a minute).
test-cluster: system venv
	PARTYSCHOOL_CLUSTER_TEST=1 scripts/with-postgres $(PY) -m pytest -q tests/cluster

test: lint test-sqlite test-postgres test-cluster

bench: db
	@for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done
