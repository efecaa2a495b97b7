# Two commands on a fresh clone: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check bench bench-quick worker beat messages clean \
	isolation fuzz faults scan load proof stack-check restore-drill lock

# Dependencies come from the lock files (every version and hash pinned; `make lock` renews
# them from pyproject.toml), the project itself is installed in place without its dependencies.
$(STAMP): pyproject.toml requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Renew the lock files after changing a dependency in pyproject.toml (docs/operations.md).
# The development file is constrained by the production one: tests run the versions deployed.
LOCK_VENV := .venv-lock
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet pip-tools
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file requirements.txt pyproject.toml
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --extra dev --constraint requirements.txt \
	  --output-file requirements-dev.txt pyproject.toml

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

# The proof parts (issue #6), each alone with its full settings; `.ci/run` runs short forms.
# The generated tenant-isolation matrix: every endpoint x role x foreign object.
isolation: $(STAMP)
	ISOLATION_FULL=1 $(BIN)/python -m pytest tests/isolation -p no:randomly -s -q $(PYTEST_ARGS)

# schemathesis against our own OpenAPI schema, bounded by FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
fuzz: $(STAMP)
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m pytest tests/fuzz -s -q $(PYTEST_ARGS)

# Fault injection against private PostgreSQL and Redis instances (needs the server binaries).
FAULT_SUBMISSIONS ?= 5000
faults: $(STAMP)
	FAULTS=1 FAULT_SUBMISSIONS=$(FAULT_SUBMISSIONS) $(BIN)/python -m pytest tests/faults -s -q $(PYTEST_ARGS)

# Victim scenarios, then a scan of the database dump, logs and broker traffic for identities.
scan: $(STAMP)
	$(BIN)/python -m pytest tests/scan -s -q $(PYTEST_ARGS)

# Bounded load test on loopback (gunicorn, a Celery worker, PostgreSQL database bench_load,
# Redis db 4): 50 officers, 10 analysts; fails on any error (LOAD_ARGS=--strict: on p95 too).
LOAD_SECONDS ?= 120
load: $(STAMP)
	$(BIN)/python benchmarks/load.py --seconds $(LOAD_SECONDS) $(LOAD_ARGS)

proof: isolation fuzz faults scan load

# The image without a container engine: the Dockerfile's RUN steps in a fresh virtualenv,
# then the production stack (gunicorn, worker, beat, nginx with TLS; PostgreSQL database
# h_ops_stack_*, a private redis-server) checked end to end (deploy/stack_check.py).
stack-check:
	$(PYTHON) deploy/stack_check.py --stack

# Backup and restore drill: pg_dump a database with victim records, restore it into a fresh
# one, verify the audit chain and read a record (deploy/restore_drill.sh).
restore-drill: $(STAMP)
	bash deploy/restore_drill.sh

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
