"""Settings come from the environment, fail loudly, and pass Django's deploy check."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-for-tests-only",
    "ALLOWED_HOSTS": "exchange.example",
    "DATABASE_URL": "sqlite:////tmp/check-deploy.sqlite3",
    # victims: Fernet key(s) for identity fields and the passport lookup key (test values only).
    "VICTIMS_ENCRYPTION_KEYS": "dGVzdC1vbmx5LXZpY3RpbXMta2V5LTMyLWJ5dGVzLSE=",
    "VICTIMS_LOOKUP_KEY": "test-only-victims-lookup-key-0123456789",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    clean["DJANGO_SETTINGS_MODULE"] = "exchange.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_under_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_a_missing_secret_key():
    env = {**PROD, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = _manage("check", env={**PROD, "DEBUG": "true"})
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_unknown_environment_name_is_refused():
    result = _manage("check", env={"DJANGO_ENV": "prod"})
    assert result.returncode != 0 and "DJANGO_ENV" in result.stderr


def test_secret_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("y" * 60 + "\n")
    env = {**PROD, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret)}
    assert _manage("check", env=env).returncode == 0
    missing = {**PROD, "SECRET_KEY_FILE": str(tmp_path / "nope")}
    result = _manage("check", env=missing)
    assert result.returncode != 0 and "SECRET_KEY_FILE" in result.stderr


def test_embedded_default_runs_tasks_eagerly():
    from django.conf import settings

    if os.environ.get("CELERY_BROKER_URL"):
        assert settings.CELERY_BROKER_URL == os.environ["CELERY_BROKER_URL"]
    else:
        assert settings.CELERY_TASK_ALWAYS_EAGER


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/me/" in text and "tokenAuth" in text
