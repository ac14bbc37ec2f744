# netctl — the two commands a newcomer needs: `make demo` and `make test`.
# Everything else here is what those two call.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NETCTL := $(VENV)/bin/netctl
LAB_DIR ?= $(CURDIR)/.lab
DEMO_DB ?= $(CURDIR)/demo.db
PYTEST_ARGS ?=
# two pytest workers: the lab's tests one after another in one, pure logic beside them in the other
# (tests/conftest.py puts every test that shares the lab into one xdist group)
PYTEST_XDIST ?= -n 2 --dist loadgroup
# the example region, in import order (lab/inventory.py REGION_FILES; a unit test holds the two equal)
REGION_FILES := duisburg.yaml duisburg-transit.csv moers.yaml duisburg-controller.yaml gelsenkirchen.yaml \
  dortmund-controller.yaml bochum.yaml main-region.yaml
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export NETCTL_LAB_DIR := $(LAB_DIR)

.PHONY: help venv install lab-install lab-up lab-down lab-status demo demo-headless test test-unit bench lint docs catalog clean

help:
	@echo "make demo           install, start the lab, load the example region, poll, open the TUI"
	@echo "make demo-headless  the same without the TUI (for scripts): prints status and exits"
	@echo "make test           install, lint (ruff, mypy), start the lab, run the whole suite"
	@echo "make lab-up | lab-down | lab-status | bench | lint | docs | catalog"

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv (Debian) …"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv python3-pip; }
	@[ -f /usr/include/libyang/libyang.h ] || { \
	  echo "installing libyang2-dev (Debian; the YANG checks' bindings build against it) …"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libyang2-dev; }
	@[ -x /usr/bin/prometheus ] || { \
	  echo "installing prometheus (Debian, no service started; tests/lab/test_exporter_lab.py runs its own) …"; \
	  p=/usr/sbin/policy-rc.d; $(SUDO) apt-get update -qq; \
	  [ ! -e $$p ] || $(SUDO) mv $$p $$p.netctl-saved; \
	  printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee $$p >/dev/null; $(SUDO) chmod 755 $$p; \
	  $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; rc=$$?; $(SUDO) rm -f $$p; \
	  [ ! -e $$p.netctl-saved ] || $(SUDO) mv $$p.netctl-saved $$p; exit $$rc; }
	@[ -x /usr/bin/chromium ] || { \
	  echo "installing chromium (Debian; tests/lab/test_serve_browser.py drives it with Playwright, no browser download) …"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv install: $(VENV)/.installed

lab-install: $(VENV)/.installed
	$(PY) -m lab install

lab-up: lab-install
	$(PY) -m lab up

lab-down:
	@if [ -x $(PY) ]; then $(PY) -m lab down; fi

lab-status: $(VENV)/.installed
	$(PY) -m lab status

demo-headless: lab-up
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(NETCTL) --db $(DEMO_DB) init
	$(NETCTL) --db $(DEMO_DB) secret import $(LAB_DIR)/secrets.json
	$(NETCTL) --db $(DEMO_DB) inventory import $(addprefix inventory/,$(REGION_FILES))
	$(NETCTL) --db $(DEMO_DB) poll || test $$? -eq 5  # 5: some APs did not answer (shown in the table)
	$(NETCTL) --db $(DEMO_DB) status

demo: demo-headless
	$(NETCTL) --db $(DEMO_DB) tui

test: lint lab-up
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_XDIST) $(PYTEST_ARGS)

test-unit: $(VENV)/.installed
	$(PY) -m pytest -q -m "not lab" tests/unit

bench: lab-up
	$(PY) -m tests.bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check netctl tui tests
	$(VENV)/bin/mypy netctl tui tests

# docs/cli.md: every command's --help, generated from the click commands (checked by tests/unit)
docs: $(VENV)/.installed
	$(PY) -m cogapp -r docs/cli.md

# netctl/locale/de/LC_MESSAGES/netctl.po gains the newly marked texts (translate the empty msgstr), .mo compiled
catalog: $(VENV)/.installed
	$(PY) -m tests.helpers.catalog

clean: lab-down
	rm -rf $(VENV) $(LAB_DIR) *.egg-info
