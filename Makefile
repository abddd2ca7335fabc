# Chợ HTX — the two commands a newcomer needs:
#   make run    install, migrate the embedded SQLite database, seed demo data, serve on :5000
#               (HOST=… PORT=… to serve elsewhere)
#   make test   install, start the real services, lint, run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test install install-dev translations translations-update services-up services-down bench lint format

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	bash scripts/system_packages.sh runtime
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	bash scripts/system_packages.sh runtime
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Compiled catalogues are build output (.mo files are not committed).
translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d marketplace/translations

# Re-extract strings after changing user-visible text, then translate the new entries.
translations-update: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot .
	$(BIN)/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations --width 100

# Links built outside a request (seed data, the worker's emails) use this address too.
run: export FLASK_RUN_HOST = $(HOST)
run: export FLASK_RUN_PORT = $(PORT)
run: install translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@# Announced once the server answers (the shell's PID becomes the server's through exec).
	@$(BIN)/python scripts/announce.py '$(HOST)' '$(PORT)' $$$$ & \
	exec $(BIN)/flask run --host '$(HOST)' --port '$(PORT)'

test: install-dev translations
	bash scripts/test.sh

services-up:
	bash scripts/services.sh up

services-down:
	bash scripts/services.sh down

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev translations
	bash scripts/bench_http.sh
