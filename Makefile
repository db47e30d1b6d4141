# Harbor: `make demo` runs the app on this laptop, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The newest Python >= 3.12 on the PATH (pyenv shims included).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)
# uv is given the interpreter's path: a pyenv shim's name can mean another version there.
PYTHON_EXE = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
DEMO_ENV := DEBUG=true

.PHONY: install install-run upgrade demo test bench lint format migrations-check messages clean

# Every install comes from uv.lock (`make upgrade` refreshes it): the versions CI, the image
# and a newcomer's laptop get are the ones reviewed, not whatever was released last night.
# uv itself, pinned, lives in its own small venv so that syncing .venv never removes it.
UV_VERSION := 0.13.9
UV := .uv/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)

$(UV):
	@test -n "$(PYTHON)" || { echo "Harbor needs Python >= 3.12 (python3.12 or python3.13 on the PATH)"; exit 1; }
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# What running needs (`make demo`); --inexact keeps the development tools of an earlier
# `make install`, so a demo never uninstalls the test suite's tools.
$(VENV)/.installed-run: uv.lock | $(UV)
	$(UV) sync --frozen --no-install-project --inexact --python $(PYTHON_EXE) --quiet
	touch $@

# What running, testing and linting need (`make test`, `make lint`, CI).
$(VENV)/.installed: uv.lock | $(UV)
	$(UV) sync --frozen --no-install-project --extra dev --python $(PYTHON_EXE) --quiet
	touch $@ $(VENV)/.installed-run

# The compiled translation catalogues (build output, never committed): GNU gettext's msgfmt,
# which `apt-get install gettext` provides (CI's .ci/run installs it; the image builds them
# in a stage of its own). Without it Harbor runs in English only, and says so.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@if command -v msgfmt >/dev/null 2>&1; then msgfmt --check -o $@ $<; \
	else echo "msgfmt not found (apt-get install gettext): $@ not built, pages stay in English"; fi

install: $(VENV)/.installed $(CATALOGUES)

install-run: $(VENV)/.installed-run $(CATALOGUES)

# After marking strings: the Spanish catalogue gains the new ones (untranslated, for a
# translator) and loses the ones gone; tests/core/test_translations.py fails until each has
# its Spanish. No source locations, so that two branches' catalogues merge cleanly.
messages: install
	$(DEMO_ENV) DATABASE_URL=sqlite://:memory: $(PY) manage.py makemessages -l es --no-location \
		--no-obsolete -i 'tests/*' -i 'bench/*' -i 'var/*' -i 'staticfiles/*'

# A new lock from the newest releases pyproject.toml allows; review `git diff uv.lock`
# (README, "Upgrading") before committing it.
upgrade: | $(UV)
	$(UV) lock --upgrade
	@$(UV) tree --depth 1 --outdated 2>/dev/null | head -40 || true
	@echo "uv.lock refreshed: review 'git diff --stat uv.lock' and the changelogs of what moved, then run make test."

# `make demo PORT=8080` serves on another port. Beside the web server runs the timers
# (Celery beat's schedule in one process: holds expire, reminders fire), stopped with it.
PORT ?= 8000
demo: install-run
	@mkdir -p var
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	$(DEMO_ENV) $(PY) manage.py seed_report_history
	@echo "Harbor is starting at http://127.0.0.1:$(PORT)/ with its timers (Ctrl-C to stop)"
	@$(DEMO_ENV) $(PY) manage.py run_timers & timers=$$!; \
	trap 'kill $$timers 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The suite, then the reports' tests once more on SQLite, which `make demo` runs them on
# (one query path, two databases); the PostgreSQL-only ones ran the first time, so the
# second leaves them out rather than skipping them.
test: install
	$(PY) tests/run.py $(PYTEST_ARGS)
	HARBOR_TEST_SQLITE=1 $(PY) tests/run.py tests/reports -m "not postgres"

# The app's bytecode first, and the libraries' (Django, DRF, Celery...), as the image
# has them (Dockerfile): the start measured is a deployment's, not one that compiles
# every module from source (with PYTHONDONTWRITEBYTECODE set, as here, the libraries
# took 9 of a gunicorn parent's 12.6 s of imports).
bench: install
	$(PY) -m compileall -q -x '(^|/)(\.venv|\.git|node_modules|build|var)/' .
	$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') > /dev/null
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/imports.py
	$(PY) bench/batches.py
	$(PY) bench/reports.py

# The production shape on this machine (its own PostgreSQL and Redis on other ports),
# its parts failed one at a time under the workflow, then the invariants checked
# (chaos/run.py; about six minutes). The test suite runs a short version (tests/chaos).
chaos: install
	$(PY) chaos/run.py $(CHAOS_ARGS)

lint: install migrations-check
	$(UV) lock --check --quiet
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	@# The Django plugin imports the settings, which want a SECRET_KEY unless DEBUG is on:
	@# mypy only reads them (nothing is served), so DEBUG=true, as `make demo` runs.
	DEBUG=true $(VENV)/bin/mypy

# A model changed without its migration fails CI. On an in-memory database: the check
# needs no server, writes no file, and DEBUG spares it the production secrets.
migrations-check: install
	$(DEMO_ENV) DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .uv var staticfiles .pytest_cache $(CATALOGUES)
