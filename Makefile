# blth: `make demo` sets up and runs the embedded demo; `make test` sets up and runs all checks.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: venv demo test lint unit e2e results-charts clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

demo: venv
	start=$$(date +%s); $(BIN)/snakemake --cores $(CORES) && \
	$(BIN)/snakemake --report results/demo/report.html && \
	echo "demo wall time: $$(( $$(date +%s) - start )) s"
	@echo "tables: results/demo/tables/  report: results/demo/report.html"

lint: venv
	$(BIN)/ruff check src scripts tests
	$(BIN)/ruff format --check src scripts tests
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -m "not slow and not demo and not slurm"

e2e: venv
	rm -rf results/demo
	start=$$(date +%s); $(BIN)/snakemake --cores $(CORES) && echo "demo wall time: $$(( $$(date +%s) - start )) s"
	$(BIN)/snakemake --report results/demo/report.html
	$(BIN)/pytest -m "demo or slow"

test: lint unit e2e

# The committed studies' charts and claims tables, redrawn from their tables only: LeNet-300-100
# on Fashion-MNIST, and the paper's networks on it (one tables folder per architecture).
RESULTS := docs/results/fashion_mnist
PAPER_NETS := docs/results/fashion_mnist_paper_nets
results-charts: venv
	$(BIN)/blth report $(RESULTS)/tables $(RESULTS)/charts
	{ cat $(RESULTS)/claims.head.md; $(BIN)/blth claims $(RESULTS)/tables; } > $(RESULTS)/claims.md
	$(BIN)/blth report $(PAPER_NETS)/tables/* $(PAPER_NETS)/charts
	{ cat $(PAPER_NETS)/claims.head.md; $(BIN)/blth claims $(PAPER_NETS)/tables/*; } > $(PAPER_NETS)/claims.md

clean:
	rm -rf results .snakemake
