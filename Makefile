# Setup and entry points. `make run` starts everything; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test unit bench clean

$(BIN)/socialitica: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/socialitica

run: setup
	$(BIN)/socialitica run $(ARGS)

test: setup
	bash deploy/setup/install-prometheus.sh
	$(BIN)/python -m pytest $(ARGS)

unit: setup
	$(BIN)/python -m pytest -m "not integration" $(ARGS)

bench: setup
	$(BIN)/socialitica bench $(ARGS)

clean:
	rm -rf $(VENV) data .pytest_cache
