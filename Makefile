# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: setup run test lint format bench serve periodic clean

$(STAMP): requirements.txt
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)
	mkdir -p var/media
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo

run: setup
	$(BIN)/python manage.py runserver_with_scheduler 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(FULL),--full,)

# Production mode: granian workers on PostgreSQL + Redis (see deploy/ and the README).
serve: $(STAMP)
	BIND=$${BIND:-127.0.0.1:$(PORT)} deploy/serve.sh

periodic: $(STAMP)
	$(BIN)/python manage.py run_periodic

clean:
	rm -rf var
