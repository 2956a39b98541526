# Portail Famille. Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench demo migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed

## run: install, create the database with the demo commune if absent, serve on 127.0.0.1:5000
## (with the local PayFiP simulator under /simulateur-payfip/)
run: $(VENV)/.installed
	$(BIN)/flask --app app demo
	$(BIN)/flask --app app run --host $(HOST) --port $(PORT)

## test: install the test needs and run every test
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: the calendar and invoicing benchmarks (print figures; not tests)
bench: $(VENV)/.installed-test
	$(BIN)/python bench/planning.py
	$(BIN)/python bench/invoicing.py

demo: $(VENV)/.installed
	$(BIN)/flask --app app demo

migrate: $(VENV)/.installed
	$(BIN)/flask --app app migrate

clean:
	rm -rf $(VENV) instance/portail.db* instance/uploads
