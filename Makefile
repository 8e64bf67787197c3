PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench sample-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/losscli eval sample_data/binary_probabilities.csv --format table
	$(BIN)/losscli eval sample_data/sparse_strings.csv --format table
	$(BIN)/losscli eval sample_data/regression_multi.csv --format table

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

sample-data: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
