# Two entry points for a fresh machine with only python3 (see README, Quick start).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test browser lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Set up, then run every shipped scenario with the defaults (results in results/).
run: $(STAMP)
	$(BIN)/baiji-sim run scenarios/*.yaml --force

## Set up, then lint, type-check (mypy, configured in pyproject.toml) and run the test suite.
test: $(STAMP) browser
	$(BIN)/ruff check sim tests benchmarks docs
	$(BIN)/mypy sim
	$(BIN)/python -m pytest

## Headless Chromium (Debian's package) for the test that renders the HTML report.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "could not install chromium: the report's browser test will say so"

## Benchmarks (not part of the tests): per-event cost against bare SimPy; scaling and memory.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_replication.py
	$(BIN)/python benchmarks/bench_scaling.py

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
