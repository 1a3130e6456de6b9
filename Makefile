# Two entry points for a fresh machine with only python3 (see README, Quick start).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test browser lint bench clean compiled clean-compiled

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
	$(BIN)/python -m pytest -n 2

## Headless Chromium (Debian's package) for the test that renders the HTML report.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "could not install chromium: the report's browser test will say so"

## Benchmarks (not part of the tests): per-event cost against bare SimPy; scaling and memory.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_replication.py
	$(BIN)/python benchmarks/bench_mm1.py
	$(BIN)/python benchmarks/bench_scaling.py

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache

## Optional compiled build (needs a C compiler; CI and the default install never compile).
## Compiles the model's hot modules with mypyc into a COPY of the package in build/compiled/:
## sim/ itself stays pure Python, so an edited .py is always what a normal run uses. Use it
## with `PYTHONPATH=build/compiled .venv/bin/baiji-sim ...` (see benchmarks/README.md).
COMPILED      := build/compiled
MYPYC_MODULES := sim/rng.py $(filter-out sim/model/__init__.py,$(wildcard sim/model/*.py))
compiled: $(STAMP)
	rm -rf $(COMPILED)
	mkdir -p $(COMPILED)
	cp -R sim $(COMPILED)/sim
	find $(COMPILED)/sim -name __pycache__ -prune -exec rm -rf {} +
	ln -s $(CURDIR)/seeds $(COMPILED)/seeds  # read relative to the package (observations.py)
	ln -s $(CURDIR)/docs $(COMPILED)/docs
	cd $(COMPILED) && $(CURDIR)/$(BIN)/mypyc --config-file $(CURDIR)/pyproject.toml \
	  $(MYPYC_MODULES) > mypyc.log 2>&1 || { tail -20 mypyc.log; exit 1; }
	rm -rf $(COMPILED)/build
	find sim -name '*.py' | LC_ALL=C sort | xargs sha256sum > $(COMPILED)/SOURCES.sha256
	@echo "compiled $(words $(MYPYC_MODULES)) modules into $(COMPILED)/ (tests/test_compiled.py compares it)"

## Remove the compiled build (sim/ never holds compiled modules).
clean-compiled:
	rm -rf $(COMPILED)
