# Doorstep (家门口): the two commands are `make run` and `make test`.
# Both work on a fresh clone: they build .venv, compile translations and
# (for tests) install the browser test tools on first use.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app wsgi
RUFF := $(PY) -m ruff
# Stamps record which requirements file was installed; a newer file reinstalls.
RUN_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev
NPM_STAMP := node_modules/.installed-package-lock
TRANSLATIONS := app/translations
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: venv dev-venv translations run serve worker test lint format clean distclean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUN_STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(RUN_STAMP)

dev-venv: $(DEV_STAMP)

# .mo files are not committed: compile every catalog there is (none yet is fine).
translations: $(RUN_STAMP)
	@if find $(TRANSLATIONS) -name '*.po' 2>/dev/null | grep -q .; then \
		$(VENV)/bin/pybabel compile -d $(TRANSLATIONS); \
	else \
		echo "no translation catalogs under $(TRANSLATIONS) yet"; \
	fi

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The web server and one job worker (reminders, text messages, no-shows, the
# daily slots), queued in instance/jobs.sqlite3; Ctrl-C stops both.
run: venv translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) generate-slots
	@$(FLASK) worker --workers 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production: job workers, on any number of hosts, sharing the queue in Redis (REDIS_URL).
worker: venv translations
	$(FLASK) worker

# Production: settings from the environment (see README, Production), no demo data.
serve: venv translations
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

lint: $(DEV_STAMP)
	$(RUFF) check .
	$(RUFF) format --check .

test: lint translations $(NPM_STAMP)
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# Load on every key page at 1× and 100× on SQLite and PostgreSQL, with wrk;
# rewrites docs/BENCHMARKS.md. Takes about a quarter of an hour.
BENCH_ARGS ?=
bench: $(DEV_STAMP) translations
	$(PY) -m bench.run $(BENCH_ARGS)

# The same harness at a tiny scale with one-second runs, report to a temp
# file: fails when any endpoint errors or answers 5xx.
bench-smoke: $(DEV_STAMP) translations
	$(PY) -m bench.run --smoke

format: $(DEV_STAMP)
	$(RUFF) check --fix .
	$(RUFF) format .

clean:
	rm -rf test-artifacts .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
		\( -name __pycache__ -o -name '*.mo' \) -print | xargs rm -rf

# Also drops the installed tools (not instance/, which holds your data).
distclean: clean
	rm -rf $(VENV) node_modules
