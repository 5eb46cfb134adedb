# trackgen: `make generate` compiles taxonomy/ into generated/; `make test` runs the whole suite.
# Both work on a fresh machine: they make the virtual environment (and, for tests,
# install PostgreSQL's pg_cron package and the npm packages) by themselves.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NPM_STAMP := clients/node_modules/.installed

.PHONY: generate check validate diff test lint clean golden client-size bench demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
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
	$(BIN)/ruff check generator tests tools bench
	$(BIN)/trackgen check
	$(BIN)/squawk --exclude-path='*_trackgen_plan_*' generated/supabase/migrations/*.sql

# Rewrites tests/cases/*/expected and stderr.txt from the current generator; review the diff.
golden: $(STAMP)
	$(BIN)/python -m tests.golden

# scripts/ensure-postgres.sh installs the server's matching postgresql-<major>-cron
# package when missing (apt; sudo when not root); the tests start their own cluster.
test: $(STAMP) $(NPM_STAMP)
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/ruff check generator tests tools bench
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Gzipped size of the generated client, whole and one event alone (esbuild, tree-shaken).
client-size: $(NPM_STAMP)
	node clients/tools/size.mjs

# The performance harness (bench/): its own PostgreSQL with pg_cron, a synthetic workload made from the
# taxonomy, reports/performance.{md,json} and plots. SCALE=tiny|100k|1M|3M|10M (default 1M; 1M keeps a
# 14-minute budget); BUDGET=<seconds> overrides the scale's time budget (0: none, nothing is cut off).
# ONLY=B1,B5 measures just those targets and prints JSON (no report written). BENCH_OUT=<dir> writes the
# report there: the 10M run is committed under reports/10M/, and the 1M report (reports/) shows its targets.
# SIZE_STUDY=0 skips the size study (bench/sizestudy.py; about 100 s per million events).
SCALE ?= 1M
bench: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m bench --scale $(SCALE) $(if $(BUDGET),--budget $(BUDGET)) $(if $(ONLY),--only $(ONLY)) $(if $(BENCH_OUT),--out $(BENCH_OUT)) $(if $(filter 0,$(MATVIEW)),--no-matview) $(if $(filter 0,$(SIZE_STUDY)),--no-size-study)

# The live KPI dashboard (tools/demo.py): a throwaway PostgreSQL with pg_cron, the migrations, seeded history,
# a traffic simulator and the page on http://127.0.0.1:8000/ (prints what to try). Ctrl-C stops everything.
# DEMO_ARGS passes options, e.g. DEMO_ARGS='--rate 50 --port 8080' (python -m tools.demo --help).
demo: $(STAMP) $(NPM_STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m tools.demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache clients/node_modules clients/.build
