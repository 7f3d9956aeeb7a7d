# One command to run the app, one to run the tests. Both set everything up on a fresh machine.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PORT    ?= 5000
# Test processes (pytest-xdist): `auto` = one per CPU core; `make test JOBS=0` runs in one process.
# --dist worksteal gives each process a contiguous half of the tests (so a module's shared fixtures,
# e.g. a rendered PDF, mostly run once) and lets an idle one take over the rest of the other's half.
JOBS    ?= auto
PYTEST  := $(BIN)/python -m pytest -q -n $(JOBS) --dist worksteal

.PHONY: setup lock run serve test test-pg test-serve lint bench bench-pdf bench-registry bench-startup bench-web bench-rules-diff bench-serve bench-memory cases clean messages translations openapi

setup: $(STAMP)

# Reproducible installs: the exact versions of requirements.lock (every dependency of pyproject.toml with
# the dev extras, pinned), then the app itself without resolving anything again.
$(STAMP): pyproject.toml requirements.lock scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q -e . --no-deps
	touch $(STAMP)

# Regenerate requirements.lock from pyproject.toml (after changing a dependency; uv is a dev extra).
lock: setup
	test -x $(BIN)/uv || $(BIN)/python -m pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock

run: setup
	$(BIN)/flask --app app db upgrade
	@if [ "$${EDUAUDIT_ENV:-development}" = development ]; then $(BIN)/eduaudit demo; fi
	$(BIN)/flask --app app run --host 127.0.0.1 --port $(PORT)

# The production shape on one machine: gunicorn (gunicorn.conf.py) and one RQ worker, PostgreSQL and
# Redis from DATABASE_URL and REDIS_URL (defaults: the local servers). SECRET_KEY is required unless
# EDUAUDIT_ENV=development. Stop with Ctrl-C (both processes end). See README, "Production".
SERVE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/eduaudit
SERVE_REDIS_URL    ?= redis://127.0.0.1:6379/0
serve: setup
	DATABASE_URL=$${DATABASE_URL:-$(SERVE_DATABASE_URL)} $(BIN)/flask --app app db upgrade
	DATABASE_URL=$${DATABASE_URL:-$(SERVE_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(SERVE_REDIS_URL)} \
	  sh -c 'trap "kill 0" INT TERM EXIT; $(BIN)/python -m app.worker & \
	         $(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) "app:create_app()"'

test: setup
	$(BIN)/eduaudit rules check
	$(PYTEST)

# The suite against PostgreSQL (and Redis for the job tests), without the browser tests (run by `make
# test`) and the production-shape tests (run by `make test-serve`).
test-pg: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PYTEST) -m "not browser and not serve"

# gunicorn (2 workers) + one RQ worker on loopback against PostgreSQL and Redis: a PDF through the queue
# with `requests`, and the school's whole path in headless Chromium (sign in, steps, results, the PDF
# through the job's progress page). One process: the servers already use both cores.
test-serve: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m pytest -q -p no:xdist -m serve tests/test_serve.py

lint: setup
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports

# Interface strings: `make messages` extracts them and merges new ones into the catalogue; translate
# those in app/translations/zh/LC_MESSAGES/messages.po, then `make translations` compiles the .mo.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --project EduAudit -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -w 100 --ignore-obsolete

translations: setup
	$(BIN)/pybabel compile -d app/translations --statistics

# The API's OpenAPI document, generated from the code, as checked into the repository (tests/test_api_spec.py).
openapi: setup
	$(BIN)/eduaudit api spec -o docs/openapi.json

bench: setup
	$(BIN)/python bench/bench_engine.py

# Seconds per page and memory of the PDF renderer (about 9 minutes; RENDERS=8 for a quick look).
bench-pdf: setup
	$(BIN)/python bench/bench_pdf.py --renders $${RENDERS:-100}

# Comparison and product pages and the streamed exports at 50,000 published audits (about 1 minute on
# SQLite; BENCH_DATABASE_URL=postgresql://... also runs it in a new PostgreSQL schema, dropped after).
bench-registry: setup
	$(BIN)/python bench/bench_registry.py $${BENCH_DATABASE_URL:+--database-url $$BENCH_DATABASE_URL}

# Start-up: rule-set load with and without the disk cache, `eduaudit evaluate` of one case, each in
# fresh processes, interleaved (about 1 minute).
bench-startup: setup
	$(BIN)/python bench/bench_startup.py

# The app's pages against a bare Flask page of the same size, both under gunicorn (2 sync workers),
# loaded by wrk over loopback, 3 interleaved rounds of 10 s per page (about 8 minutes; BASELINE=<git
# revision> also serves that revision of the app in the same rounds, for before/after figures).
bench-web: setup
	$(BIN)/python bench/bench_web.py $${BASELINE:+--baseline $$BASELINE}

# `eduaudit rules diff` over 10,000 stored audits (SQLite in a temporary folder; FROM=<git revision>).
bench-rules-diff: setup
	$(BIN)/python bench/bench_rules_diff.py $${FROM:+--from $$FROM}

# Latency of GET / alone and while 4 PDFs are produced (interleaved rounds), and seconds to re-evaluate
# 10,000 stored audits with 2 workers (PostgreSQL BENCH_DATABASE_URL, Redis BENCH_REDIS_URL). A quick
# run: `make bench-serve AUDITS=1000 ROUNDS=1`.
bench-serve: setup
	$(BIN)/python bench/bench_serve.py $${AUDITS:+--audits $$AUDITS} $${ROUNDS:+--rounds $$ROUNDS}

# A web worker's resident memory while 50 report PDFs are downloaded (rendered by the RQ worker), against a
# bare Flask worker under the same gunicorn settings (PostgreSQL BENCH_DATABASE_URL, Redis BENCH_REDIS_URL;
# about 4 minutes).
bench-memory: setup
	$(BIN)/python bench/bench_worker_memory.py $${DOWNLOADS:+--downloads $$DOWNLOADS}

clean:
	rm -rf $(VENV) instance .pytest_cache

# Every real case (tests/cases and tests/cases/more) with each expected run's jurisdiction and date:
# expected and got verdicts, missing key categories and a summary line. A report: it always exits 0.
cases: setup
	$(BIN)/eduaudit cases
