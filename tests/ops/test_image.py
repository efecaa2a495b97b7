"""The image: no secret at build time, nothing private in its context, non-root, recycled
workers, a TLS proxy in front, and the locked dependencies everywhere they are installed.

`make stack-check` (CI) runs the Dockerfile's steps and the whole stack; these are the quick
checks of the same files, in `make test`.
"""

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("stack_check", ROOT / "deploy" / "stack_check.py")
assert spec and spec.loader
stack_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stack_check)


def test_the_build_context_leaves_secrets_and_local_data_out():
    patterns = stack_check.dockerignore_patterns(ROOT)
    for path in (
        ".env",
        ".git/config",
        "db.sqlite3",
        ".venv/bin/python",
        "deploy/certs/key.pem",
        "exchange/__pycache__/x.pyc",
        "tests/conftest.py",
    ):
        assert stack_check.excluded(path, patterns), path
    for path in (
        ".env.example",
        "manage.py",
        "exchange/settings.py",
        "requirements.txt",
        "deploy/gunicorn.conf.py",
        "templates/base.html",
        "static/css/app.css",
    ):
        assert not stack_check.excluded(path, patterns), path


def test_the_dockerfile_uses_no_secret_runs_unprivileged_from_the_lock():
    steps = stack_check.dockerfile_steps((ROOT / "Dockerfile").read_text())
    text = " ".join(arg for _, arg, _ in steps)
    assert not re.search(r"SECRET_KEY|VICTIMS_|PASSWORD|TOKEN", text)
    runs = [arg for kind, arg, _ in steps if kind == "RUN"]
    assert any("--require-hashes -r requirements.txt" in run for run in runs)
    assert any("DJANGO_ENV=build" in run and "collectstatic" in run for run in runs)
    users = [arg for kind, arg, _ in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert "deploy/gunicorn.conf.py" in next(a for k, a, _ in steps if k == "CMD")


def test_gunicorn_recycles_workers_with_jitter_and_logs_request_time(monkeypatch):
    # The config sets PROMETHEUS_MULTIPROC_DIR in the environment: keep it out of this process's
    # (later subprocesses would inherit a metrics directory another test's server empties).
    monkeypatch.setattr(os, "environ", dict(os.environ))
    config: dict = {}
    exec(
        compile((ROOT / "deploy/gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), config
    )
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert "%(M)s" in config["access_log_format"] and "x-request-id" in config["access_log_format"]
    assert config["logconfig_dict"]["formatters"]["json"]["()"] == "exchange.logs.JsonFormatter"


def test_collectstatic_settings_need_no_secret():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV": "build",
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.STORAGES['staticfiles']['BACKEND'], s.ALLOWED_HOSTS, "
        "s.DATABASES['default']['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "[]",
        ":memory:",
    ]


def test_compose_puts_tls_in_front_and_hsts_waits_for_a_real_certificate():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert {p.split(":")[-1] for p in proxy["ports"]} == {"80", "443"}
    assert all(not p.startswith("8000") for p in services["web"].get("ports", []))
    assert (
        "SECURE_HSTS_SECONDS: ${SECURE_HSTS_SECONDS:-0}"
        in (ROOT / "docker-compose.yml").read_text()
    )
    template = (ROOT / "deploy/nginx/exchange.conf.template").read_text()
    assert "ssl_certificate" in template and "X-Forwarded-Proto https" in template
    assert "location = /metrics" in template
    assert "Strict-Transport-Security" not in template


def test_the_lock_files_cover_every_dependency_and_are_what_gets_installed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(path):
        pinned = re.findall(r"^([A-Za-z0-9_.\-]+)==\S+ \\$", (ROOT / path).read_text(), re.M)
        return {re.sub(r"[-_.]+", "-", n).lower() for n in pinned}

    def wanted(specs):
        return {re.sub(r"[-_.]+", "-", re.split(r"[<>=\[; ]", s)[0]).lower() for s in specs}

    assert wanted(project["dependencies"]) <= names("requirements.txt")
    assert wanted(project["optional-dependencies"]["dev"]) <= names("requirements-dev.txt")
    for path in ("requirements.txt", "requirements-dev.txt"):
        text = (ROOT / path).read_text()
        assert "--hash=sha256:" in text
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.txt" in makefile
    assert "pip-compile" in makefile and "--generate-hashes" in makefile
