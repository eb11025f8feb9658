# Kakehashi — the two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: demo test install translations lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

## demo: set up a SQLite demo with demo accounts and serve it on http://127.0.0.1:5000
demo: $(VENV)/.installed
	KAKEHASHI_ENV=development $(BIN)/flask db upgrade
	KAKEHASHI_ENV=development $(BIN)/flask demo
	KAKEHASHI_ENV=development $(BIN)/flask run --host 127.0.0.1 --port 5000

## test: the whole suite except the browser journeys (SQLite; PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

## browser: the real-browser journeys in headless Chromium (installs chromium; see .ci/browser.sh)
.PHONY: browser
browser:
	.ci/browser.sh $(PYTEST_ARGS)

## translations: extract strings, update the catalogues, compile them
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output \
		-k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -o messages.pot .
	$(BIN)/pybabel -q update -i messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d translations --statistics
	rm -f messages.pot

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

## bench: the performance benchmark at realistic scale (bench/run.py): SQLite, or PostgreSQL when
## DATABASE_URL is set (an empty scratch database); e.g. BENCH_ARGS="--duration 20". Installs wrk if missing.
.PHONY: bench
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q --no-install-recommends wrk >/dev/null \
		|| { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends wrk >/dev/null; }; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
