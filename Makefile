# trackgen: `make generate` compiles taxonomy/ into generated/; `make test` runs the whole suite.
# Both work on a fresh machine: they make the virtual environment (and, for tests,
# install PostgreSQL's pg_cron package and the npm packages) by themselves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NPM_STAMP := clients/node_modules/.installed

.PHONY: generate check validate diff test lint clean golden client-size

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# TypeScript 5.9, supabase-js and esbuild for the client's tests, exactly as clients/package-lock.json says.
$(NPM_STAMP): clients/package.json clients/package-lock.json
	npm ci --prefix clients --no-audit --no-fund
	touch $(NPM_STAMP)

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
	$(BIN)/ruff check generator tests tools
	$(BIN)/trackgen check
	$(BIN)/squawk --exclude-path='*_trackgen_plan_*' generated/supabase/migrations/*.sql

# Rewrites tests/cases/*/expected and stderr.txt from the current generator; review the diff.
golden: $(STAMP)
	$(BIN)/python -m tests.golden

# scripts/ensure-postgres.sh installs the server's matching postgresql-<major>-cron
# package when missing (apt; sudo when not root); the tests start their own cluster.
test: $(STAMP) $(NPM_STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/ruff check generator tests tools
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Gzipped size of the generated client, whole and one event alone (esbuild, tree-shaken).
client-size: $(NPM_STAMP)
	node clients/tools/size.mjs

clean:
	rm -rf $(VENV) .pytest_cache clients/node_modules clients/.build
