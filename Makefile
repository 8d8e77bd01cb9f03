# partnerbot — `make run` sets everything up and runs the assistant; `make test` sets up and runs every test.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
PY    := $(BIN)/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run test test-rules bench eval db demo clean

$(BIN)/.installed: pyproject.toml constraints.txt
	@PY310=$$(scripts/find-python.sh) && [ -x $(PY) ] || $$PY310 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade 'pip<24.1' wheel
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

setup: $(BIN)/.installed
	$(BIN)/partnerbot db upgrade
	$(BIN)/partnerbot db demo --if-empty

run: setup
	$(BIN)/partnerbot serve

test: setup
	$(BIN)/pytest -q tests

bench: setup
	$(PY) -m bench

eval: setup
	$(PY) -m eval

clean:
	rm -rf var models build .pytest_cache .hypothesis
