# Two entry points for a fresh machine with only python3 (see README, Quick start).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Set up, then run every shipped scenario with the defaults (results in results/).
run: $(STAMP)
	$(BIN)/baiji-sim run scenarios/*.yaml

## Set up, then lint and run the test suite.
test: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/python -m pytest

## Benchmark one replication against a bare SimPy loop (not part of the tests).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_replication.py

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
