# ささえあい — `make demo` and `make test` are all a fresh machine needs (Python 3.11+).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-postgres bench browser setup clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 以上が必要です / Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
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
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP) browser
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sasaeai} $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m sasaeai.bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
