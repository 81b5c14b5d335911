# Dossier: the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export MOTO_PORT ?= 5000
export PORT ?= 8000
STAGE ?= dev
PLAN ?= pro
ROLE ?= admin

.PHONY: run test chromium account subscription token package deploy bench redrive reconcile load lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

## make run: moto as AWS, the API and portal on PORT, the event pump; prints a demo token. Ctrl-C stops.
run: $(STAMP)
	$(BIN)/python -m infra.local.stack

## make test: the whole test suite: on every core (a file per worker), then what must run serially.
test: $(STAMP) chromium
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

# The browser tests drive Debian's chromium (Playwright's own browser downloads are not used).
chromium:
	@command -v chromium >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

## make account ID=<id> [PLAN=solo|pro|team]: against the running local stack; prints an admin token last.
account: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make account ID=<id> [PLAN=solo|pro|team]"; exit 2; }
	@$(BIN)/python -m infra.local.cli account --id "$(ID)" --plan "$(PLAN)"

## make subscription ID=<id> [PLAN=solo|pro|team] [EXTRA_GIB=<n>]: against the running local stack; the operator's
## change of what an account pays for (its plan, booked extra storage in GiB).
subscription: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make subscription ID=<id> [PLAN=solo|pro|team] [EXTRA_GIB=<n>]"; exit 2; }
	@$(BIN)/python -m infra.local.cli subscription --id "$(ID)" $(if $(filter command line,$(origin PLAN)),--plan "$(PLAN)") $(if $(EXTRA_GIB),--extra-storage-gib "$(EXTRA_GIB)")

## make token ID=<account> [ROLE=admin|member] [USER=<user id>]: prints a bearer token last.
token: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make token ID=<account> [ROLE=admin|member] [USER=<id>]"; exit 2; }
	@$(BIN)/python -m infra.local.cli token --id "$(ID)" --role "$(ROLE)" $(if $(filter command line,$(origin USER)),--user "$(USER)")

## make package STAGE=<stage>: every deployable template of the stage into dist/<stage>/. Offline; a region
## comes from AWS_REGION or AWS_DEFAULT_REGION (default eu-central-1).
package: $(STAMP)
	$(BIN)/python -m infra.package --stage "$(STAGE)"

## make deploy STAGE=<stage>: packages, then deploys dist/<stage>/ with the AWS CLI (docs/deploy.md).
deploy: package
	PYTHON=$(BIN)/python infra/deploy.sh "$(STAGE)"

## make bench [QUICK=1]: the benchmarks (about 2.5 minutes on 2 cores); prints their table and rewrites docs/benchmarks.md.
## QUICK=1 runs smaller sizes against the same budgets and only prints. Fails if a budget is broken.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick)

## make redrive: against the running local stack, move every message of the dead-letter queues back to the queue
## it came from (after fixing what made it fail); the handlers apply each exactly once.
redrive: $(STAMP)
	$(BIN)/python -m infra.local.redrive

## make reconcile: against the running local stack, run the daily reconciliation now; prints what it repaired.
reconcile: $(STAMP)
	$(BIN)/python -m infra.local.reconcile

## make load [CLIENTS=10] [REQUESTS=2000]: a bounded load test on its own local stack (free ports); prints p50/p95,
## fails on any error or anything lost.
load: $(STAMP)
	$(BIN)/python -m load --clients $(or $(CLIENTS),10) --requests $(or $(REQUESTS),2000)

## make lint: ruff over the code, cfn-lint over the infra template (both also run in make test).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) dist .pytest_cache
