# OSCAR HOST test-bench. The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERSONS ?= 20000
# `make test` runs the tests on this many workers (a module, and every module that uses the
# session's story_home, stays on one: tests/conftest.py). 0 runs them in one process.
TEST_WORKERS ?= 2
XDIST  := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadscope)

.PHONY: demo test unit lint typecheck pytest bench bench-quick install clean help chromium bubblewrap

help:  ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: SDV's CTGAN/TVAE need it, and this version is a small CPU wheel on
# the build machines; an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install the project with its dev tools

demo: $(STAMP) bubblewrap  ## Run the whole chain on a simulated lake, then serve the dashboard
	$(BIN)/testbench demo --persons $(PERSONS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)  ## Run the fast unit tests only (what `make test` runs, less the slow-to-start parts)
	$(BIN)/pytest $(XDIST) -m "not slow and not ray and not mlflow and not browser and not cli and not heavy"

pytest: $(STAMP)
	$(BIN)/pytest $(XDIST)

# The browser test drives Debian's Chromium (Playwright never downloads a browser here);
# the sandbox for SME model code (testbench/jobs/sandbox) runs it under Debian's bubblewrap.
chromium:  ## Install Chromium (browser test) and bubblewrap (model sandbox) when missing
	@command -v chromium >/dev/null && command -v bwrap >/dev/null || \
	if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium bubblewrap; \
	elif command -v sudo >/dev/null; then sudo apt-get update && sudo apt-get install -y chromium bubblewrap; \
	else echo "chromium or bubblewrap is missing and there is no sudo: the browser and sandbox tests will be skipped" >&2; fi

# The demo validates the example inside the lake, so its model code runs in the sandbox.
bubblewrap:  ## Install bubblewrap (the sandbox for SME model code) when missing
	@command -v bwrap >/dev/null || \
	if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y bubblewrap; \
	elif command -v sudo >/dev/null; then sudo apt-get update && sudo apt-get install -y bubblewrap; \
	else echo "bubblewrap is missing and there is no sudo: validation in a lake will refuse to run" >&2; fi

test: chromium lint typecheck pytest  ## ruff, mypy and the fast tests (installs chromium if missing)

bench: $(STAMP)  ## Time this project against its peers (prints ratios; tens of minutes)
	$(BIN)/python benchmarks/run_all.py

bench-quick: $(STAMP)  ## The same benchmarks on small cases (a smoke test, minutes)
	$(BIN)/python benchmarks/run_all.py --quick

clean:  ## Remove local state (lakes, twins, evidence) but keep .venv
	rm -rf .testbench
