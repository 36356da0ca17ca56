# Two commands need no set-up: `make demo` and `make test` create the virtual
# environment (.venv) and install brobyg into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The suite runs on SQLite and on this PostgreSQL (one schema per test, dropped after).
BROBYG_TEST_PG ?= postgresql://postgres@127.0.0.1:5432/test
export BROBYG_TEST_PG

.PHONY: demo test lint install

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The Danish catalogue, compiled with Babel whenever its source is newer.
CATALOGUE := cli/locale/da/LC_MESSAGES/brobyg
$(CATALOGUE).mo: $(CATALOGUE).po $(VENV)/.installed
	$(BIN)/python -m brobyg.cli.catalogue compile

install: $(VENV)/.installed $(CATALOGUE).mo

# demo/ is brobyg's own folder: its owner's alone (0700), as the store and report in it are.
demo: install
	mkdir -p -m 700 demo
	$(BIN)/brobyg --db demo/brobyg.sqlite demo --replace

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
