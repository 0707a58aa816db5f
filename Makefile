# Escalation Desk — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench bench-sweep lint format messages setup clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

## make run: migrate, seed the demo (once), run web + Celery worker + beat on SQLite.
run: $(STAMP)
	@bin/run

## make test: the whole suite (PostgreSQL + Redis when DATABASE_URL / CELERY_BROKER_URL are set).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: seed N tickets (default 10000) into the configured database and report latencies.
bench: $(STAMP)
	$(PY) -m bench.run --tickets $${N:-10000}

## make bench-sweep: deadlines per second of the deadline sweep, 10,000 and 100,000 due rows, 1 and 4 sweepers.
bench-sweep: $(STAMP)
	$(PY) -m bench.sweep --deadlines $${DEADLINES:-10000 100000} --sweepers $${SWEEPERS:-1 4} $${SWEEP_ARGS:-}

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## make format: lay the code out as `make lint` and CI expect (ruff format, 110 columns).
format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make messages: re-extract the translatable strings into locale/<lang>/LC_MESSAGES/django.po (English,
## the source, and every language already there), then compile the translations to .mo (docs/translation.md).
## Needs GNU gettext (xgettext, msgmerge, msgfmt: apt-get install gettext).
MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=tests_support --ignore=bench --ignore=conftest.py \
	--ignore=staticfiles --ignore=media --ignore=var --ignore=test-artifacts --ignore=docs
messages: $(STAMP)
	DEBUG=true $(PY) manage.py makemessages --locale=en $(MESSAGES_IGNORE) --no-obsolete
	@for dir in locale/*/; do lang=$$(basename $$dir); [ $$lang = en ] && continue; \
	  DEBUG=true $(PY) manage.py makemessages --locale=$$lang $(MESSAGES_IGNORE) --no-obsolete && \
	  DEBUG=true $(PY) manage.py compilemessages --locale=$$lang --ignore=.venv || exit 1; done

clean:
	rm -rf $(VENV) var media staticfiles test-artifacts
