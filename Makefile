# Quick start:   make demo   (install into .venv, then harvest -> ... -> trained tiny model, offline)
#                make test   (install into .venv, then the default test suite)
PYTHON ?= python3
VENV ?= .venv
# torch first, so `torch>=2.4` in pyproject is already satisfied: an unpinned torch pulls a multi-GB
# CUDA build. On a machine whose pip has no local CPU wheel, use:
#   make demo TORCH_INSTALL="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_INSTALL ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: install demo test test-slow lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH_INSTALL)
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

demo: install
	$(BIN)/curate demo

test: install
	$(BIN)/pytest -q

test-slow: install
	$(BIN)/pytest -q -m slow

lint: install
	$(BIN)/ruff check curation trainer tests benchmarks

bench: install
	$(BIN)/python benchmarks/executor.py

clean:
	rm -rf runs data $(VENV)
