# Two commands on a fresh clone: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check bench bench-quick worker beat messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy embassies sharing exchange indicators cases victims

check: $(STAMP)
	DJANGO_ENV=production SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))')" \
	  ALLOWED_HOSTS=exchange.example DATABASE_URL=sqlite:///:memory: \
	  VICTIMS_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	  VICTIMS_LOOKUP_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(40))')" \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(STAMP)
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/lists.py

# The benchmarks in a short, bounded form (CI).
bench-quick: $(STAMP)
	$(BIN)/python benchmarks/matching.py --quick
	$(BIN)/python benchmarks/lists.py --quick

worker: $(STAMP)
	$(BIN)/celery -A exchange worker -l info

beat: $(STAMP)
	$(BIN)/celery -A exchange beat -l info

# Refresh the Thai catalogue after changing UI text; the compiled .mo is committed so that a
# fresh machine needs no gettext tools.
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l th -i ".venv/*" -i "tests/*" -i "benchmarks/*"
	cd locale && ../$(BIN)/python ../manage.py compilemessages -l th

clean:
	rm -rf $(VENV) db.sqlite3
