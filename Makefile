# Dossier: the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
STAGE ?= dev
PLAN ?= pro
ROLE ?= admin

.PHONY: help run test chromium compiler account subscription token login package deploy bench redrive reconcile reminders load lint clean vendor
.DEFAULT_GOAL := help

## make help: this list (a bare `make` prints it too).
help:
	@echo "Dossier: make <target> [VARIABLE=value ...]"
	@sed -n 's/^## \(make [a-z][^:]*\):/  \1:/p' $(firstword $(MAKEFILE_LIST))

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || { echo "==> creating $(VENV) with $(PYTHON) (Python 3.11)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing the Python packages into $(VENV) (the first time takes a few minutes)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP) && echo "==> $(VENV) is ready"

## make run [FRESH=1]: the whole product on this machine, its data kept in .local-state/; Ctrl-C saves and stops.
##   FRESH=1 starts empty; PORT (8000) and MOTO_PORT (5000) pick the ports. Prints DOSSIER_API and DOSSIER_TOKEN to
##   paste, a one-time console login and the demo portal URL.
run: $(STAMP)
	$(BIN)/python -m infra.local.stack $(if $(filter 1 yes true,$(FRESH)),--fresh)

## make test: the whole test suite on every core (a file per worker, the longest files first).
# Bytecode is cached even where the shell sets PYTHONDONTWRITEBYTECODE: every process of the suite (workers, local
# stacks, the CLIs the tests run) would otherwise compile the app's modules again.
test: $(STAMP) chromium compiler node_modules/.package-lock.json
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

## make chromium: install Debian's chromium for the browser tests when it is missing (make test does it too).
# Playwright's own browser downloads are not used.
chromium:
	@command -v chromium >/dev/null || { echo "==> installing Debian's chromium for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

## make compiler: install gcc when there is no C compiler (make test does it too), for the test processes' allocator.
# tests/support/frame_chunks.py; without a compiler the suite runs, only slower.
compiler:
	@command -v cc >/dev/null || { echo "==> installing gcc for the test suite's allocator"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y gcc; }

# axe-core for the browser tests, at the version package-lock.json pins (npm ci from the npm registry).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "==> installing npm for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }
	npm ci --no-audit --no-fund

## make vendor: re-fetch the staff console's library (htm's Preact bundle, pinned) from the npm registry into
##   chalicelib/console/static/vendor/ with its licences; the result is committed, so make run never needs it.
vendor:
	chalicelib/console/vendor.sh

## make account ID=<id> [PLAN=solo|pro|team]: against the running local stack; prints an admin token last.
account: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make account ID=<id> [PLAN=solo|pro|team]"; exit 2; }
	@$(BIN)/python -m infra.local.cli account --id "$(ID)" --plan "$(PLAN)"

## make subscription ID=<id> [PLAN=solo|pro|team] [EXTRA_GIB=<n>]: change an account's plan or booked storage.
##   Against the running local stack; the operator's change of what an account pays for (extra storage in GiB).
subscription: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make subscription ID=<id> [PLAN=solo|pro|team] [EXTRA_GIB=<n>]"; exit 2; }
	@$(BIN)/python -m infra.local.cli subscription --id "$(ID)" $(if $(filter command line,$(origin PLAN)),--plan "$(PLAN)") $(if $(EXTRA_GIB),--extra-storage-gib "$(EXTRA_GIB)")

## make token ID=<account> [ROLE=admin|member] [USER=<user id>]: a bearer token (last line) for an existing account.
token: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make token ID=<account> [ROLE=admin|member] [USER=<id>]"; exit 2; }
	@$(BIN)/python -m infra.local.cli token --id "$(ID)" --role "$(ROLE)" $(if $(filter command line,$(origin USER)),--user "$(USER)")

## make login [ID=demo] [ROLE=admin|member] [USER=<user id>]: a console URL that signs that user in once (15 min).
login: $(STAMP)
	@$(BIN)/python -m infra.local.cli login --id "$(or $(ID),demo)" --role "$(ROLE)" $(if $(filter command line,$(origin USER)),--user "$(USER)")

## make package STAGE=<stage>: every deployable template of the stage into dist/<stage>/ (offline).
##   The region comes from AWS_REGION or AWS_DEFAULT_REGION (default eu-central-1).
package: $(STAMP)
	$(BIN)/python -m infra.package --stage "$(STAGE)"

## make deploy STAGE=<stage>: packages, then deploys dist/<stage>/ with the AWS CLI (docs/deploy.md).
deploy: package
	PYTHON=$(BIN)/python infra/deploy.sh "$(STAGE)"

## make bench [QUICK=1]: the benchmarks (about 4 minutes on 2 cores); prints a table, rewrites docs/benchmarks.md.
##   QUICK=1 runs smaller sizes against the same budgets and only prints. Fails if a budget is broken.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick)

## make redrive: move the dead-letter queues' messages back to their queues (running local stack).
##   After fixing what made them fail; the handlers apply each exactly once.
redrive: $(STAMP)
	$(BIN)/python -m infra.local.redrive

## make reconcile: against the running local stack, run the daily reconciliation now; prints what it repaired.
reconcile: $(STAMP)
	$(BIN)/python -m infra.local.reconcile

## make reminders: against the running local stack, send the planned reminders that are due now; prints the counts.
reminders: $(STAMP)
	$(BIN)/python -m infra.local.reminders

## make load [CLIENTS=10] [REQUESTS=2000]: a bounded load test on its own local stack; prints p50/p95.
##   Free ports, data not kept; fails on any error or anything lost.
load: $(STAMP)
	$(BIN)/python -m load --clients $(or $(CLIENTS),10) --requests $(or $(REQUESTS),2000)

## make lint: ruff over the code, mypy (strict) over app.py and chalicelib/, cfn-lint over the infra template
##   (all three also run in make test).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --cache-dir "$${TMPDIR:-/tmp}/dossier-mypy-make"
	$(BIN)/cfn-lint infra/template.yaml

## make clean: remove the virtualenv, dist/ and caches (the local stack's data in .local-state/ stays).
clean:
	rm -rf $(VENV) dist .pytest_cache
