# partnerbot — `make run` sets everything up and runs the assistant; `make test` sets up and runs every test.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PY    := $(BIN)/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1
DOMAIN := var/build/domain/domain.yml

.PHONY: setup run run-scaled test test-rules test-ops test-bot test-browser validate bench eval clean

$(BIN)/.installed: pyproject.toml constraints.txt
	@PY310=$$(scripts/find-python.sh) && { [ -x $(PY) ] || $$PY310 -m venv $(VENV); }
	$(BIN)/pip install -q --disable-pip-version-check --upgrade 'pip<24.1' wheel
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

## setup: virtual environment, database schema, demo data (when empty), spaCy pipelines
setup: $(BIN)/.installed
	$(BIN)/partnerbot db upgrade
	$(BIN)/partnerbot db demo --if-empty
	$(BIN)/partnerbot nlp build >/dev/null

## run: the assistant on embedded defaults (contract §0); Ctrl-C stops it
run: setup
	$(BIN)/partnerbot serve

## run-scaled: PostgreSQL, Redis, two Rasa replicas behind a front door, the action server (README, "Production operation")
run-scaled: setup
	$(BIN)/partnerbot serve --scaled

## test: every test: pytest (SQLite and PostgreSQL), rasa data validate, test stories, scaled mode, browser
test: setup test-rules test-bot test-ops test-browser

test-rules:
	PGURL=$$(scripts/postgres.sh start) && PARTNERBOT_TEST_POSTGRES_URL=$$PGURL $(BIN)/pytest -q -p no:cacheprovider --ignore=tests/browser --ignore=tests/ops tests

## test-ops: the scaled mode for real (own PostgreSQL and Redis on loopback): replicas, faults, restarts
test-ops: setup
	$(BIN)/pytest -q -p no:cacheprovider tests/ops

## test-browser: the portal widget in headless Chromium (installs Debian's chromium when missing)
test-browser: setup
	scripts/install-browser.sh
	$(BIN)/pytest -q -p no:cacheprovider tests/browser

validate:
	$(BIN)/partnerbot train --domain-only >/dev/null
	$(BIN)/rasa data validate --domain $(DOMAIN) --data data/nlu data/rules data/stories --config config.yml

test-bot: validate
	MODEL=$$($(BIN)/partnerbot train | tail -n 1) && \
	$(BIN)/rasa test core --model $$MODEL --stories tests/stories --fail-on-prediction-errors --out var/results/core

## bench / eval: print the figures (see README)
bench: setup
	$(PY) -m bench

eval: setup
	$(PY) -m eval

clean:
	rm -rf var models build .pytest_cache .hypothesis
