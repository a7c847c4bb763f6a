# Two commands for a newcomer: `make run` and `make test`. Each sets itself up.
# The first interpreter that really runs and is 3.11 or 3.12 (durable-rules does not import on 3.13).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do $$p -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi

.PHONY: run test install db seed translations translations-update browser-deps bench clean

$(BIN)/activate: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (durable-rules does not import on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

install: $(BIN)/activate

translations: install
	$(BIN)/pybabel compile -f -d portal/translations -D messages >/dev/null

# After changing strings: extract them and merge into the kk and ru catalogs, then translate
# (English is the source language: its strings are the msgids, so it needs no catalog).
translations-update: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot \
		--no-location --sort-output --project Tyndau . >/dev/null
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching >/dev/null

db: install translations
	mkdir -p instance
	$(FLASK) db upgrade

seed: db
	$(FLASK) demo seed

# The portal and, beside it, the NCALayer stand-in (portal/signatures/standin): the pages sign through
# ws://127.0.0.1:13579, and the person is picked on the stand-in's page http://127.0.0.1:13579/ as in
# NCALayer's own dialog (NCALAYER_STANDIN_PICK=<username> signs at once as that person). A taken port 13579
# (NCALayer itself, or another stand-in) is said once and the portal runs anyway. Ctrl-C stops both.
run: seed
	@$(BIN)/python -m portal.signatures.standin --pki instance/pki & standin=$$!; \
	trap 'kill $$standin 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	NCALAYER_URL="$${NCALAYER_URL:-ws://127.0.0.1:13579}" $(FLASK) run --host 127.0.0.1 --port 5000

# The browser tests (tests/browser) drive Debian's Chromium through Playwright and check pages with
# axe-core from the npm registry (test-only: installed in tests/browser/node_modules, never served).
CHROMIUM    := $(or $(TYNDAU_CHROMIUM),/usr/bin/chromium)
BROWSER_DIR := tests/browser
AXE_JS      := $(BROWSER_DIR)/node_modules/axe-core/axe.min.js

$(AXE_JS): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/axe-core/axe.min.js; \
	else echo "npm not found: the accessibility checks of the browser tests need it (apt-get install npm)"; fi

browser-deps: $(AXE_JS)

test: install translations $(if $(findstring --ignore=tests/browser,$(PYTEST_ARGS)),,browser-deps)
	@if [ -n "$(findstring --ignore=tests/browser,$(PYTEST_ARGS))" ]; then echo "== browser tests: not in this run (PYTEST_ARGS)"; \
	elif [ -x "$(CHROMIUM)" ]; then echo "== browser tests: Chromium at $(CHROMIUM)"; \
	else echo "== browser tests SKIPPED: Chromium not installed: apt-get install chromium (CI fails instead)"; fi
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The production way on this machine (tests/production): the Procfile's processes (gunicorn with 2 workers, the
# deadline sweeper, the mail outbox) on a fresh PostgreSQL database, and a browser journey against them.
# DATABASE_URL names the PostgreSQL server (CI's cluster); without one a throw-away cluster is started.
.PHONY: test-production
test-production: install translations
	tests/production/run_production_check.sh

# Load, faults and recovery of issue 8 (tests/production/test_faults.py, bench/faults.py): a 5-minute steady load
# (LOAD_SECONDS), a gunicorn worker and the sweeper killed mid-work, PostgreSQL restarted and the SMTP relay down, on
# gunicorn with 2 workers, the sweeper and the outbox; figures in bench/faults.json. CI runs them with a 20 s load.
.PHONY: faults
faults: install translations
	$(BIN)/python bench/faults.py

# The benchmarks of issue 8 (bench/run.py): pages with wrk at 100,000 and 1,000,000 scaled cases on a throw-away
# PostgreSQL, the sweep, signatures and rules; bench/results.json and a summary. BENCH_CASES=100000 for a quick run.
bench: install translations
	BENCH_CASES="$(BENCH_CASES)" $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/*.db .pytest_cache test-output $(BROWSER_DIR)/node_modules
