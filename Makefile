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
	$(V)/tandem db upgrade
	$(V)/tandem demo load
	@echo "Tandem on http://127.0.0.1:$(PORT) — log in as broker / tandem-demo"
	TANDEM_PORT=$(PORT) $(V)/tandem serve

test: install system-deps
	bash scripts/test.sh

i18n: install
	bash scripts/i18n.sh
	$(V)/python scripts/check_i18n.py

bench: install system-deps
	@echo "no benchmarks yet"
