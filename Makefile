# Front door of the study. `make help` lists the targets.
# `make report` and `make test` each create .venv and install the package on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

AS_OF  ?= 2025-12-02
SOURCE ?= auto
ARGS   ?=
PYTEST_ARGS ?=
# Real data are read in place, never copied: the shared snapshot beside this checkout unless the
# environment names another directory (empty: none; `auto` then falls back to synthetic data).
MARKET_DATA_DIR ?= $(abspath $(wildcard ../shared/market-data))
FUNDAMENTALS_DATA_DIR ?= $(abspath $(wildcard ../shared/fundamentals))
export MARKET_DATA_DIR FUNDAMENTALS_DATA_DIR

.DEFAULT_GOAL := help
.PHONY: help install report data test test-fast golden bench lint clean-reports

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the package with dev extras

report: $(STAMP) ## Run the full study report into reports/<as-of>/ (AS_OF=, SOURCE=, ARGS=)
	$(PY) -m analysis report --as-of $(AS_OF) --source $(SOURCE) $(ARGS)

data: $(STAMP) ## Fetch and clean the price panel into data/ (SOURCE=, ARGS=)
	$(PY) -m analysis fetch --source $(SOURCE) $(ARGS)
	$(PY) -m analysis clean --source $(SOURCE) $(ARGS)

test: $(STAMP) ## Run the whole test suite, including nbval regression checks (no network)
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --nbval --nbval-current-env --nbval-sanitize-with tests/golden/sanitize.cfg $(PYTEST_ARGS)

test-fast: $(STAMP) ## Run the unit tests only (skip slow and notebook tests)
	$(PY) -m pytest -m "not slow and not notebooks" $(PYTEST_ARGS)

golden: $(STAMP) ## Regenerate the nbval golden notebooks in tests/golden/ (synthetic source)
	$(PY) -m analysis golden

bench: $(STAMP) ## Speed targets side by side: rolling betas/correlations, report vs papermill floor, offline auto, suite (BENCH_ARGS=--no-fail)
	$(PY) benchmarks/bench.py --suite $(BENCH_ARGS)

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict on analysis/
	$(PY) -m ruff check analysis tests benchmarks
	$(PY) -m ruff format --check analysis tests benchmarks
	$(PY) -m mypy

clean-reports: ## Remove generated reports/
	rm -rf reports
