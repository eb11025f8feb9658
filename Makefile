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

## test: the whole suite (SQLite; PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## translations: extract strings, update the catalogues, compile them
translations: $(VENV)/.installed-dev
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output \
		-k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -o messages.pot .
	$(BIN)/pybabel -q update -i messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d translations --statistics
	rm -f messages.pot

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
