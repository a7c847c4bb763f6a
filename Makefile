# Two commands for a newcomer: `make run` and `make test`. Each sets itself up.
# The first interpreter that really runs and is 3.11 or 3.12 (durable-rules does not import on 3.13).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do $$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install db seed translations translations-update bench clean

$(BIN)/activate: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (durable-rules does not import on 3.13)"; exit 1; }
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
