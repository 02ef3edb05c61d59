# The two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?=

.PHONY: run test lint bench bench-startup clean catalog bench-catalog

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,parquet]'
	touch $(STAMP)

run: $(STAMP)  ## run the flagship scenario: backorders vs out-of-stock
	$(BIN)/supplysim run scenarios/backorder_vs_out_of_stock.yaml $(if $(WORKERS),--workers $(WORKERS),)

test: $(STAMP)  ## the whole suite (statistical tests included), then lint, types and the import contracts
	$(BIN)/python -m pytest -n 2 -q
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)  ## throughput benchmark (see docs/performance.md)
	$(BIN)/python benchmarks/throughput.py

bench-startup: $(STAMP)  ## start-up and report costs of the command line, peak memory against the horizon
	$(BIN)/python benchmarks/startup.py

catalog: $(STAMP)  ## the example catalog: 200 products × 3 stockout policies into results/catalog/ (page: report.html)
	$(BIN)/supplysim catalog scenarios/catalog/template.yaml scenarios/catalog/products.csv --out results/catalog $(if $(WORKERS),--workers $(WORKERS),)

bench-catalog: $(STAMP)  ## catalog throughput against one large run, peak memory against the number of products, Dask scaling
	$(BIN)/python benchmarks/catalog.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
