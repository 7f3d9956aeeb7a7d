# One command to run the app, one to run the tests. Both set everything up on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PORT    ?= 5000

.PHONY: setup run test test-pg lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

test: setup
	$(BIN)/eduaudit rules check
	$(BIN)/python -m pytest -q

test-pg: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest -q -m "not browser"

lint: setup
	$(BIN)/ruff check app tests bench

bench: setup
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) instance .pytest_cache
