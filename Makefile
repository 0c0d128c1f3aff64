# attnbook — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
JB_FLAGS := -W -n --keep-going
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.PHONY: help env book execute test test-unit test-notebooks test-site lab clean

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -e '.[dev]'
	@touch $@

env: $(STAMP) ## Create .venv (if missing) and install attnbook with the book and test tools

book: $(STAMP) ## Execute the notebooks (cached) and build the website in _build/html
	$(BIN)/jupyter-book build . --builder html $(JB_FLAGS)

execute: $(STAMP) ## Re-run the notebooks in place and store their outputs (NB=path for one)
	$(BIN)/python tools/execute_notebooks.py $(or $(NB),$(NOTEBOOKS))

test: test-unit test-notebooks book test-site ## Everything CI checks

test-unit: $(STAMP) ## Unit and property tests of attnbook
	$(PYTEST) tests --ignore=tests/site

test-notebooks: $(STAMP) ## Re-run every notebook and compare with its stored outputs (nbval, strict)
	$(PYTEST) --nbval notebooks --sanitize-with tests/nbval_sanitize.cfg

test-site: $(STAMP) ## Check the built website (run after `make book`)
	$(PYTEST) tests/site

lab: $(STAMP) ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks

clean: ## Remove the build output and caches (keeps .venv)
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
