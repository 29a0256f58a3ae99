# The two commands of the README: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
# A stamp per lock file's content: an edited lock reinstalls, an unchanged one does nothing.
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.dev-installed-$(shell cat requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
DEV := PRECEPTOR_ENV=development

.PHONY: install install-dev run test lint bench lock

# Runtime packages only (hashes checked): what `make run` needs.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The same plus the test tools: what `make test` and CI need.
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install -q --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.dev-installed-* && touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

# After editing pyproject.toml's dependencies: both lock files again, with hashes.
lock: install-dev
	$(BIN)/pip-compile -q --generate-hashes --no-emit-index-url --no-emit-find-links \
		--strip-extras --output-file=requirements.lock pyproject.toml
	$(BIN)/pip-compile -q --generate-hashes --allow-unsafe --no-emit-index-url \
		--no-emit-find-links --strip-extras --extra=dev --output-file=requirements-dev.lock pyproject.toml

run: install
	$(DEV) $(BIN)/preceptor db upgrade
	$(DEV) $(BIN)/preceptor content sync || [ $$? -eq 3 ]  # 3: a conflict, reported; still start
	$(DEV) $(BIN)/preceptor demo --if-empty
	@echo "Preceptor is at http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(DEV) $(BIN)/gunicorn -c gunicorn.conf.py "app:create_app()"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest-xdist worker per core; ARGS="tests/forum -k search" runs a part.
test: lint
	$(BIN)/pytest -n auto --dist worksteal $(ARGS)

# A realistic database, measured in process and under wrk (bench/README.md);
# ARGS="--mentors 100000" for the large shape, ARGS="--database URL" for PostgreSQL.
bench: install-dev
	$(BIN)/python bench/run.py $(ARGS)
