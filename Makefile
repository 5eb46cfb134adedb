# trackgen: `make generate` compiles taxonomy/ into generated/; `make test` runs the whole suite.
# Both work on a fresh machine: they make the virtual environment (and, for tests,
# install PostgreSQL's pg_cron package and the npm packages) by themselves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: generate check validate diff test lint clean golden

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

generate: $(STAMP)
	$(BIN)/trackgen generate

check: $(STAMP)
	$(BIN)/trackgen check

validate: $(STAMP)
	$(BIN)/trackgen validate

diff: $(STAMP)
	$(BIN)/trackgen diff

# Python style and bugs (ruff), then the generated tree (SQL parsed by PostgreSQL's parser, JSON Schemas
# against the metaschema, staleness).
lint: $(STAMP)
	$(BIN)/ruff check generator tests
	$(BIN)/trackgen check
	$(BIN)/squawk --exclude-path='*_trackgen_plan_*' generated/supabase/migrations/*.sql

# Rewrites tests/cases/*/expected and stderr.txt from the current generator; review the diff.
golden: $(STAMP)
	$(BIN)/python -m tests.golden

# scripts/ensure-postgres.sh installs the server's matching postgresql-<major>-cron
# package when missing (apt; sudo when not root); the tests start their own cluster.
test: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/ruff check generator tests
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
