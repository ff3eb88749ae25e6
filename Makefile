# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV   ?= .venv
NS      = $(VENV)/bin/northstar

.PHONY: install services browser demo test lint unit stop bench clean asyncapi-parser observe-tools observe docs

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

services: install            ## Kafka (from Maven jars) + PostgreSQL, schema, topics
	$(NS) services start

demo: services               ## the whole stack with the simulated company
	$(NS) demo

browser:                     ## Debian's Chromium and a Chinese font for the board's browser tests (they download nothing)
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || (apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei)

observe-tools:               ## Debian's Prometheus (promtool checks and unit-tests the alert rules) and PostgreSQL exporter
	@command -v promtool >/dev/null && command -v prometheus-postgres-exporter >/dev/null || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	  --no-install-recommends prometheus prometheus-postgres-exporter)

observe: services observe-tools   ## Prometheus on 127.0.0.1:9090 scraping every process and the PostgreSQL exporter (run `make demo` beside it)
	$(NS) observe

# The AsyncAPI project's parser, which `make test` validates contracts/asyncapi.json with.
asyncapi-parser: tools/asyncapi/node_modules/.installed
tools/asyncapi/node_modules/.installed: tools/asyncapi/package-lock.json
	npm ci --prefix tools/asyncapi --no-audit --no-fund --silent
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy domain
	$(VENV)/bin/lint-imports
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs: install                 ## the documentation site on http://127.0.0.1:8000
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

TEST_PROCESSES ?= 2              # parallel pytest processes for `make test` (ADR 0020)

unit: install asyncapi-parser observe-tools ## pure tests only, no services
	$(VENV)/bin/pytest -q tests/unit

test: services browser lint asyncapi-parser observe-tools  ## the whole suite against the real Kafka and PostgreSQL
	$(VENV)/bin/pytest -q -ra -n $(TEST_PROCESSES) --dist loadfile

bench: services              ## benchmarks (not part of the test run); JSON in bench/results
	$(VENV)/bin/python -m bench.slice

stop:
	$(NS) services stop

clean: stop
	rm -rf var
