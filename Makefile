# custfit — one Makefile for the three languages. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export CARGO_TERM_COLOR := never

.PHONY: help test test-rust test-python test-node python node venv quickstart bench bench-rust bench-peers lint fmt docs clean types

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

test: test-rust test-python test-node ## run every language's tests (installs what it needs)

test-rust: ## Rust unit, integration, golden and property tests; generated types up to date; benches compile
	$(CARGO) test -p custfit --all-features
	$(CARGO) run --quiet -p custfit-typegen -- --check
	$(CARGO) check --quiet -p custfit-benches

types: ## regenerate the Python TypedDicts and TypeScript interfaces from the core's types
	$(CARGO) run --quiet -p custfit-typegen -- --write

$(VENV)/.installed: bindings-python/requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r bindings-python/requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## create the Python venv with test dependencies

python: venv ## build the Python extension into the venv (maturin develop)
	cd bindings-python && VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(VENV)/bin:$$PATH maturin develop --quiet

test-python: python ## pytest (binding tests and golden cases)
	$(PY) -m pytest -q bindings-python/tests

bindings-node/node_modules/.installed: bindings-node/package.json bindings-node/package-lock.json
	cd bindings-node && (npm ci --no-audit --no-fund || npm install --no-audit --no-fund)
	touch $@

node: bindings-node/node_modules/.installed ## build the Node addon (napi)
	cd bindings-node && npx napi build --platform --js index.js --dts index.d.ts

test-node: node ## node:test (binding tests and golden cases)
	cd bindings-node && node --test __test__/

quickstart: ## the main job: simulate, snapshot, health, churn risk, tiers, this week's plays
	$(CARGO) run --release --example quickstart

bench: venv ## foundation benchmark side by side with polars / DuckDB (see benches/README.md)
	$(CARGO) build --release -p custfit-benches
	$(PY) benches/foundation.py

bench-rust: ## Rust-only benches: health scoring (1M), conditions vs cel (1M), churn on the simulator
	$(CARGO) build --release -p custfit-benches
	./target/release/health
	./target/release/expr
	./target/release/churn_sim

BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: benches/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r benches/requirements.txt
	touch $@

bench-peers: $(BENCH_VENV)/.installed ## churn models vs scikit-learn and LightGBM (1M x 30; see benches/churn.md)
	$(CARGO) build --release -p custfit-benches
	$(BENCH_VENV)/bin/python benches/churn.py

lint: venv ## rustfmt, clippy and ruff
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -p custfit --all-features --all-targets -- -D warnings
	$(CARGO) clippy -p custfit-typegen -- -D warnings
	$(CARGO) clippy -p custfit-benches -- -D warnings
	$(VENV)/bin/ruff check bindings-python benches

fmt: ## format Rust code
	$(CARGO) fmt --all

clean: ## remove build outputs
	$(CARGO) clean
	rm -rf $(VENV) $(BENCH_VENV) bindings-node/node_modules
