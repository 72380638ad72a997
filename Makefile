# ささえあい — `make demo` and `make test` are all a fresh machine needs (Python 3.11+).
# Every install comes from requirements.lock (exact versions, with hashes); `make upgrade`
# refreshes the lock on purpose, and `make lint` fails when pyproject.toml and the lock disagree.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
STAMP := $(VENV)/.installed-stamp
# How the lock is made: one resolution for every supported Python (3.11+) and platform.
COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --extra test --extra dev --generate-hashes \
	--universal --python-version 3.11 --no-header --quiet

.PHONY: demo test test-postgres bench browser setup lint format lock lock-tool upgrade hooks clean

$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 以上が必要です / Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r $(LOCK)
	$(PY) -m pip check
	$(PY) scripts/check_lock.py
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	$(PY) manage.py runserver 127.0.0.1:8000

# The browser tests drive Debian's Chromium; install it (and a Japanese font) when missing.
browser:
	@sh scripts/ensure-browser.sh

test: $(STAMP) browser
	@start=$$(date +%s); status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s"; exit $$status

test-postgres: $(STAMP) browser
	@start=$$(date +%s); status=0; \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sasaeai} $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	echo "make test-postgres: $$(( $$(date +%s) - start )) s"; exit $$status

lint: $(STAMP)
	$(PY) scripts/check_lock.py
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-resolve after a change to pyproject.toml, keeping every version that still fits.
# They need only the lock tool, not an up-to-date .venv: the drift check would refuse exactly the
# edit they are run to settle, so a missing tool is installed from the current lock.
lock: lock-tool
	cp $(LOCK) $(LOCK).new
	$(COMPILE) -o $(LOCK).new
	$(PY) scripts/write_lock.py $(LOCK).new $(LOCK)

# Move every package to the newest version its range admits (then run make test and commit).
upgrade: lock-tool
	cp $(LOCK) $(LOCK).new
	$(COMPILE) --upgrade -o $(LOCK).new
	$(PY) scripts/write_lock.py $(LOCK).new $(LOCK)

lock-tool:
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --no-deps --require-hashes -r $(LOCK); }

hooks: $(STAMP)
	$(VENV)/bin/pre-commit install

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
