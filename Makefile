# Two commands do everything: `make report` and `make test`. The first run bootstraps .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
SYSTEM := $(VENV)/.system-report
SYSTEM_TEST := $(VENV)/.system-test

COMPANY ?= sensetime
PERIOD ?= FY2024
DATA_DIR ?= data
OUT ?= outputs
# Editions to build and check: each language is a folder in src/earnings_brief/locales/.
LANGUAGES ?= en zh-Hant

.PHONY: report reports check test test-fast lint lab bench system clean

EDITIONS = $(foreach lang,$(LANGUAGES),--language "$(lang)")

report: $(READY) $(SYSTEM)
	@$(PY) -m earnings_brief build --company "$(COMPANY)" --period "$(PERIOD)" --data-dir "$(DATA_DIR)" --out "$(OUT)" $(EDITIONS)

# Every brief under $(DATA_DIR) in every language of $(LANGUAGES), and outputs/index.html;
# EXECUTOR=dask SCHEDULER=tcp://host:8786 runs the jobs on a Dask cluster (docs/cluster.md).
EXECUTOR ?= local
reports: $(READY) $(SYSTEM)
	@$(PY) -m earnings_brief build --all --data-dir "$(DATA_DIR)" --out "$(OUT)" $(EDITIONS) --executor "$(EXECUTOR)" $(if $(SCHEDULER),--scheduler "$(SCHEDULER)")

check: $(READY)
	@$(PY) -m earnings_brief check --company "$(COMPANY)" --period "$(PERIOD)" --data-dir "$(DATA_DIR)" $(EDITIONS)

test: $(READY) $(SYSTEM_TEST) lint
	$(PY) -m pytest -q

# The edit loop: every test that needs no kernel, browser, PDF engine or process (chapter logic
# included); `make test` stays the whole suite, and CI runs that.
test-fast: $(READY)
	$(PY) -m pytest -q -m "not slow"

lint: $(READY)
	$(VENV)/bin/ruff check src tests notebooks
	$(VENV)/bin/ruff format --check src tests

# JupyterLab on this machine only; it prints the URL, with its token, to open. As root (how `make`
# installs the system packages, and in containers) Jupyter refuses to start without --allow-root
# and there is no browser to open. A busy port makes Jupyter take the next one and print that.
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: $(READY)
	cd notebooks && ../$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	  $$(if [ "$$(id -u)" = 0 ]; then echo --allow-root --no-browser; fi) $(LAB_ARGS)

bench: $(READY) $(SYSTEM)
	$(PY) scripts/bench.py

# The virtual environment, rebuilt when the dependency list changes.
$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Debian packages: fonts and pango for the brief; poppler and chromium too for the tests.
$(SYSTEM): scripts/system-deps.sh | $(READY)
	bash scripts/system-deps.sh report
	touch $@

$(SYSTEM_TEST): scripts/system-deps.sh | $(READY)
	bash scripts/system-deps.sh test
	touch $@

system:
	bash scripts/system-deps.sh test

clean:
	rm -rf $(OUT)/*/ .pytest_cache .ruff_cache
