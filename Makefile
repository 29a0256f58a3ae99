# The two commands of the README: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEV := PRECEPTOR_ENV=development

.PHONY: install run test lint bench

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: install
	$(DEV) $(BIN)/preceptor db upgrade
	$(DEV) $(BIN)/preceptor content sync
	$(DEV) $(BIN)/preceptor demo --if-empty
	@echo "Preceptor is at http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(DEV) $(BIN)/gunicorn -c gunicorn.conf.py "app:create_app()"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest-xdist worker per core; ARGS="tests/forum -k search" runs a part.
test: lint
	$(BIN)/pytest -n auto --dist worksteal $(ARGS)

bench: install
	$(BIN)/python bench/run.py
