# Every target a newcomer needs; `make run` and `make test` install first.
PY := .venv/bin/python
PIP := .venv/bin/pip
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
MO := app/i18n/locales/fr/LC_MESSAGES/messages.mo app/i18n/locales/en/LC_MESSAGES/messages.mo
OIDC_PROVIDER := tests/oidc_provider

.PHONY: install run cluster test lint test-sqlite test-postgres worker bench migrate seed messages clean backup restore

install: .venv/.installed $(MO) $(OIDC_PROVIDER)/node_modules/.installed

.venv/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test]"
	touch $@

app/i18n/locales/%/LC_MESSAGES/messages.mo: app/i18n/locales/%/LC_MESSAGES/messages.po .venv/.installed
	.venv/bin/pybabel compile -d app/i18n/locales -D messages -l $*

# The local OpenID provider the single sign-on tests run against (test-only; Node.js).
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the single sign-on tests will be skipped (and fail under CI=true)"; fi

# Re-extract the strings to translate after changing templates or code.
messages: install
	.venv/bin/pybabel extract -F babel.cfg -o app/i18n/messages.pot --no-location --omit-header .
	.venv/bin/pybabel update -i app/i18n/messages.pot -d app/i18n/locales -D messages --no-fuzzy-matching

migrate: install
	$(PY) -m app migrate

seed: migrate
	$(PY) -m app seed

run: seed
	$(PY) -m app serve

# The production shape on this machine: two instances behind HAProxy (deploy/haproxy.cfg),
# and a worker, on DATABASE_URL (PostgreSQL) and REDIS_URL, one SECRET_KEY; migrates and
# seeds first. HAProxy listens on CLUSTER_PORT (8000), the instances on the next two ports.
cluster: install
	$(PY) -m deploy.cluster

worker: install
	$(PY) -m jobs.worker

# Lint, then the whole suite on SQLite, then again on PostgreSQL.
test: install lint test-sqlite test-postgres

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

test-sqlite: install
	$(PY) -m pytest -q

test-postgres: install
	TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q

bench: install
	$(PY) -m bench

# A backup of DATABASE_URL's database, taken while it serves (FILE=... or var/backups/);
# restore refuses a database holding data unless REPLACE=1. Stop the app before restoring.
backup: install
	$(PY) -m app backup $(FILE)

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/backup [REPLACE=1]"; exit 2; }
	$(PY) -m app restore $(FILE) $(if $(REPLACE),--replace)

clean:
	rm -rf .venv var e2e/artifacts $(OIDC_PROVIDER)/node_modules
