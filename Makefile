# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV   ?= .venv
NS      = $(VENV)/bin/northstar

.PHONY: install services demo test lint unit stop bench clean

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

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy domain
	$(VENV)/bin/lint-imports

unit: install                ## pure tests only, no services
	$(VENV)/bin/pytest -q tests/unit

test: services lint          ## the whole suite against the real Kafka and PostgreSQL
	$(VENV)/bin/pytest -q -ra

bench: services              ## benchmarks (not part of the test run); JSON in bench/results
	$(VENV)/bin/python -m bench.slice

stop:
	$(NS) services stop

clean: stop
	rm -rf var
