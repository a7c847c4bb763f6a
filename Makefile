# Two commands for a newcomer: `make run` and `make test`. Each sets itself up.
PYTHON ?= $(shell command -v python3.12 || command -v python3.11 || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install db seed translations translations-update bench clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

install: $(BIN)/activate

translations: install
	$(BIN)/pybabel compile -f -d portal/translations -D messages >/dev/null

# After changing strings: extract them and merge into the kk/ru/en catalogs, then translate.
translations-update: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot \
		--no-location --sort-output --project Tyndau . >/dev/null
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching >/dev/null

db: install translations
	mkdir -p instance
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

run: seed
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache
