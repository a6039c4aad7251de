# Scripts to rule them all: each target is one line that calls the real tool.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint emulator
.DEFAULT_GOAL := test

$(BIN)/crosstenant: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]' && touch $@

demo: $(BIN)/crosstenant
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo

test: $(BIN)/crosstenant
	$(BIN)/python -m pytest -q

lint: $(BIN)/crosstenant
	$(BIN)/python -m compileall -q reconciler tests && $(BIN)/python -m pytest -q tests/test_layering.py

emulator: $(BIN)/crosstenant
	$(BIN)/crosstenant emulator serve --port 8443 --state .emulator --seed examples/seed.yaml
