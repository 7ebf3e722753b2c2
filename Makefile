# Tandem: `make demo` serves the app with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
V := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT := $(or $(TANDEM_PORT),8000)

.PHONY: demo test lint install system-deps bench i18n serve

$(V)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml requirements.lock | $(V)/python
	$(V)/python -m pip install -q --upgrade pip
	$(V)/python -m pip install -q -c requirements.lock -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)
	@if [ -d src/tandem/locale ]; then $(V)/pybabel -q compile -d src/tandem/locale -D messages; fi

system-deps:
	bash scripts/system_deps.sh

demo: install system-deps
	TANDEM_PORT=$(PORT) bash scripts/demo.sh

test: install system-deps
	bash scripts/test.sh

i18n: install
	bash scripts/i18n.sh
	$(V)/python scripts/check_i18n.py

BENCH_SECONDS ?= 30
BENCH_NOTICES ?= 2000
BENCH_GROWTH_SIZES ?= 10000,1000000

bench: install system-deps
	$(V)/python -m bench.fnol --seconds $(BENCH_SECONDS) --json
	$(V)/python -m bench.surge --notices $(BENCH_NOTICES) --json
	$(V)/python -m bench.surge --notices $(BENCH_NOTICES) --kill --json
	$(V)/python -m bench.growth --sizes $(BENCH_GROWTH_SIZES) --json
	$(V)/python -m bench.expert_search --experts 100000 --queries 200 --json
	$(V)/python -m bench.dashboards --samples 30 --json
