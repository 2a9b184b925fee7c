# Two commands set up a fresh machine (Python 3.11 and nothing else):
#   make run    - venv + requirements, then the app at http://localhost:8501
#   make test   - venv + requirements + dev requirements + Chromium and PostgreSQL (where it can),
#                 then the suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
ARGS   ?=

.PHONY: run test bench chromium postgresql clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) -m streamlit run streamlit_app.py --server.port $(PORT) --server.headless true $(ARGS)

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

test: $(VENV)/.dev chromium postgresql
	$(PY) -m pytest

bench: $(VENV)/.dev chromium
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache
