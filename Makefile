# Portail Famille. Quick start: `make run`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# The Nu Html Checker of tests/browser/test_valid_html.py: the npm registry's vnu-jar package, pinned
# and checked (sha256 of the tarball), fetched once into the ignored .cache/.
VNU_VERSION := 26.9.27
VNU_SHA256 := 5970d3ffca91a627cf0965e5d91bb2e4242307c29292998de0b419d6a901b2b7
VNU_JAR := .cache/vnu/vnu-$(VNU_VERSION).jar

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

## test: install the test needs (and the HTML checker, once) and run every test
test: $(VENV)/.installed-test $(VNU_JAR)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VNU_JAR):
	mkdir -p $(@D)
	rm -f $(@D)/vnu-*.jar $(@D)/vnu-jar.tgz
	curl -fsSL --retry 3 -o $(@D)/vnu-jar.tgz \
		https://registry.npmjs.org/vnu-jar/-/vnu-jar-$(VNU_VERSION).tgz
	echo "$(VNU_SHA256)  $(@D)/vnu-jar.tgz" | sha256sum --check --quiet
	tar -xzf $(@D)/vnu-jar.tgz -O package/build/dist/vnu.jar > $@.part
	rm $(@D)/vnu-jar.tgz
	mv $@.part $@

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
