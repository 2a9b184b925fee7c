# Two commands set up a fresh machine (Python 3.11 and nothing else):
#   make run    - venv + requirements, then the app at http://localhost:8501
#   make test   - venv + requirements + dev requirements + Chromium, HAProxy and PostgreSQL (where
#                 it can), then the suite
#   make serve  - the app on every core: REPLICAS app processes behind HAProxy on PORT (deploy/)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
ARGS   ?=
REPLICAS ?= 2
ADDRESS  ?=

.PHONY: run serve test bench chromium haproxy postgresql clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) server.py --server.port $(PORT) --server.headless true $(ARGS)

# REPLICAS app processes behind HAProxy on PORT (all interfaces, or ADDRESS); ARGS go to every
# app process (server.py, as make run). In the foreground: Ctrl-C stops everything. See deploy/README.md.
serve: $(VENV)/.runtime haproxy
	$(PY) deploy/serve.py --replicas $(REPLICAS) --port $(PORT)$(if $(ADDRESS), --address $(ADDRESS))$(if $(ARGS), -- $(ARGS))

# Debian's HAProxy for `make serve` and its tests (deploy/serve.py says how to install it if missing).
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -q && apt-get install -y -q haproxy) >/dev/null \
	      || echo "warning: could not install haproxy; make serve and its tests need it"; \
	  else echo "warning: no haproxy (install it: apt-get install haproxy); make serve and its tests need it"; fi; }

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -q && apt-get install -y -q chromium) >/dev/null \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: no chromium (install it: apt-get install chromium); browser tests will be skipped"; fi; }

# Debian's PostgreSQL for the class store's tests (they start their own server in a temp folder).
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >/dev/null \
	      || echo "warning: could not install postgresql; the PostgreSQL tests will be skipped"; \
	  else echo "warning: no PostgreSQL (install it: apt-get install postgresql); the PostgreSQL tests will be skipped"; fi; }

test: $(VENV)/.dev chromium haproxy postgresql
	$(PY) -m pytest

bench: $(VENV)/.dev chromium haproxy
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache
