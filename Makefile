PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# one stamp per set of packages: `make demo` installs the runtime only, `make test` adds the test extras
RUNTIME := $(VENV)/.runtime
TESTING := $(VENV)/.test

.PHONY: demo test lint fuzz bench sample-data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(TESTING): pyproject.toml $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TESTING)

demo: $(RUNTIME)
	$(BIN)/losscli eval sample_data/binary_probabilities.csv --format table
	$(BIN)/losscli eval sample_data/sparse_strings.csv --format table
	$(BIN)/losscli eval sample_data/regression_multi.csv --format table

test: $(TESTING)  # on every core (pytest-xdist); `make fuzz` and a bare `pytest` run in one process
	$(BIN)/python -m pytest -n auto

lint: $(TESTING)  # ruff and mypy, configured in pyproject.toml; CI runs it before the tests
	$(BIN)/ruff check losscli tests
	$(BIN)/mypy

fuzz: $(TESTING)  # the long run of the mutated-input test (make test runs 200 of them)
	FUZZ_INPUTS=$${FUZZ_INPUTS:-5000} $(BIN)/python -m pytest -q tests/test_fuzz.py

bench: $(TESTING)  # DuckDB and polars are the benchmark's alternatives only, not losscli's dependencies
	$(BIN)/python -m pip install --quiet duckdb polars
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

sample-data: $(RUNTIME)
	$(BIN)/python scripts/make_sample_data.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
