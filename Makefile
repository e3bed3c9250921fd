# seedbridge: `make demo` runs the example pipeline, `make test` runs every test.
# Both set up what they need on a fresh machine (a .venv, R from Debian packages) and are quick when it is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# A bare "torch" pulls a multi-GB CUDA build: install this CPU build first, then the extras find it satisfied.
TORCH_SPEC ?= torch==2.13.0
# Debian packages for R and the R package's dependencies.
R_DEBS := r-base-core r-base-dev r-cran-yaml r-cran-digest r-cran-withr r-cran-testthat r-cran-jsonlite \
          r-cran-roxygen2 r-cran-future r-cran-dorng r-cran-future.apply r-cran-reticulate
# PostgreSQL server binaries for the ledger tests (tests/pgserver.py runs initdb/pg_ctl; no service is started).
PG_DEBS := postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUILD := build
R_SRC := $(shell find r-package -type f -not -path '*/.Rcheck/*' 2>/dev/null)
GOLDEN := $(CURDIR)/tests/golden/derivation-v1.json
CONFORMANCE := $(CURDIR)/tests/conformance

.PHONY: help setup r-setup caffe demo test pytest r-check docs lint bench clean

help:
	@echo "make demo    run the example mixed pipeline (examples/mixed_pipeline)"
	@echo "make test    run every test: Python, R package check, docs build"
	@echo "make setup   only install: .venv with all extras, R and the R package, Caffe"
	@echo "make caffe   build the caffe tool once (minutes; cached), link it as .venv/bin/caffe"
	@echo "make docs    build the documentation site into build/site"
	@echo "make bench   run the benchmarks (prints figures)"

setup: $(VENV)/.installed $(BUILD)/r-package.installed caffe

# Caffe from PyPI's sources, built against Debian packages and cached outside the tree (scripts/caffe/build.sh,
# docs/frameworks/caffe.md). Seconds when the cache has it; a failed step fails the target and names its log.
caffe: | $(VENV)/.installed
	PYTHON=$(PY) scripts/caffe/build.sh $(VENV)/bin/caffe

# R and its packages from Debian (CRAN is not needed). Re-checked each time; a no-op when present.
r-setup:
	@missing=""; for p in $(R_DEBS) $(PG_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml | r-setup
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PIP) install "$(TORCH_SPEC)"
	$(PIP) install -e ".[numpy,torch,tensorflow,jax,postgres,dev,plot,ray]"
	@# rpy2 3.6.x needs R >= 4.5; older R (Debian 12 ships 4.2.2) needs the 3.5 series.
	rver=$$(Rscript -e 'cat(as.character(getRversion()))'); \
	if printf '4.5.0\n%s\n' "$$rver" | sort -V -C; then spec='rpy2>=3.6,<3.7'; else spec='rpy2==3.5.17'; fi; \
	echo "R $$rver: installing $$spec"; $(PIP) install "$$spec"
	touch $@

$(BUILD)/r-package.installed: $(R_SRC) | r-setup
	mkdir -p $(BUILD)
	R CMD INSTALL --no-multiarch r-package >$(BUILD)/r-install.log 2>&1 || { cat $(BUILD)/r-install.log; exit 1; }
	touch $@

demo: setup
	$(PY) examples/mixed_pipeline/run.py

test: setup
	$(MAKE) --no-print-directory pytest r-check docs lint

pytest:
	@# Bytecode up front: this machine sets PYTHONDONTWRITEBYTECODE, so every CLI subprocess would recompile.
	$(PY) -m compileall -q seedbridge >/dev/null
	$(PY) -m pytest -q

# R CMD check of the built tarball; no LaTeX here, so --no-manual. It must end with no ERROR or WARNING.
r-check: $(BUILD)/r-package.installed
	rm -rf $(BUILD)/r && mkdir -p $(BUILD)/r
	cd $(BUILD)/r && R CMD build --no-manual ../../r-package >build.log 2>&1 || { cat build.log; exit 1; }
	@# RETICULATE_PYTHON: the python = TRUE tests run against the project's venv (seedbridge and NumPy there).
	cd $(BUILD)/r && SEEDBRIDGE_GOLDEN=$(GOLDEN) SEEDBRIDGE_CONFORMANCE=$(CONFORMANCE) RETICULATE_PYTHON=$(CURDIR)/$(PY) \
	  _R_CHECK_FORCE_SUGGESTS_=false _R_CHECK_CRAN_INCOMING_=false \
	  R CMD check --no-manual seedbridge_*.tar.gz >check.log 2>&1 || { cat check.log; exit 1; }
	@tail -n 3 $(BUILD)/r/check.log
	@if grep -qE '^Status:.*(ERROR|WARNING)' $(BUILD)/r/check.log; then cat $(BUILD)/r/check.log; exit 1; fi

docs:
	$(PY) -m mkdocs build --strict --quiet -d $(BUILD)/site

lint:
	$(PY) -m ruff check seedbridge tests benchmarks examples
	$(PY) -m mypy

bench: setup
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b; done
	for b in benchmarks/bench_*.R; do echo "== $$b"; Rscript $$b; done

clean:
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache
