"""/healthz and /readyz tell the truth, on the internal host names, without HTTPS redirects."""

import json
import logging
import time
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from exchange import health

PRODUCTION_LIKE = {
    "SECURE_SSL_REDIRECT": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "ALLOWED_HOSTS": ["exchange.example.org"],
}
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    client.delete("exchange:heartbeat:worker", "exchange:heartbeat:beat")
    return client


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: pytest-django fails any query this request would make.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "web:8000", "[::1]:8000"])
@override_settings(**PRODUCTION_LIKE)
def test_probes_answer_on_internal_hosts_over_plain_http(db, host, caplog):
    browser = Client(HTTP_HOST=host)
    with caplog.at_level(logging.WARNING):
        for path in ("/healthz", "/readyz"):
            response = browser.get(path)
            assert response.status_code == 200, (path, response.content)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@override_settings(**PRODUCTION_LIKE)
def test_other_hosts_and_other_paths_keep_the_usual_rules(db):
    assert Client(HTTP_HOST="evil.example").get("/healthz").status_code == 400
    # The internal names open the probes only, never a page; the public name redirects to HTTPS.
    assert Client(HTTP_HOST="127.0.0.1").get("/accounts/login/").status_code == 400
    assert Client(HTTP_HOST="exchange.example.org").get("/accounts/login/").status_code == 301
    public = Client(HTTP_HOST="exchange.example.org").get("/readyz")
    assert public.status_code == 200


def test_readyz_green_in_the_embedded_setup(client, db):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "cache",
        "outbox",
        "matching",
        "broker",
        "worker",
        "beat",
    }


def test_readyz_fails_on_an_old_pending_match_and_an_old_owed_email(client, alice):
    from indicators.models import IPReport, PendingMatch
    from indicators.services import ip_report_submit_batch
    from sharing.models import Notification

    ip_report_submit_batch(
        actor=alice,
        rows=[{"row": 1, "address": "8.8.8.8", "seen_at": timezone.now(), "context": "chat"}],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    report = IPReport.objects.get()
    old = timezone.now() - timedelta(hours=2)
    PendingMatch.objects.update_or_create(report=report, defaults={"queued_at": old})
    Notification.objects.create(
        recipient=alice, kind="test", title="t", url="/", event_key="k", email_due=True
    )
    Notification.objects.filter(recipient=alice).update(created_at=old)
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["matching"]["ok"] is False and checks["matching"]["age_seconds"] >= 7000
    assert checks["outbox"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_readyz_reports_a_database_outage_without_a_traceback(client, monkeypatch, caplog):
    from django.db import OperationalError

    def down(self):
        raise OperationalError("could not connect to server at secret-host user=exchange")

    monkeypatch.setattr("django.db.backends.base.base.BaseDatabaseWrapper.cursor", down)
    response = client.get("/readyz")
    assert response.status_code == 503
    text = response.content.decode()
    assert "secret-host" not in text and "Traceback" not in text
    assert json.loads(text)["checks"]["database"] == {
        "ok": False,
        "detail": "unavailable (OperationalError)",
    }
    assert all(r.exc_info is None for r in caplog.records)


def test_worker_and_beat_heartbeats_in_redis(db):
    client = _redis_or_skip()
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=REDIS_TEST_URL):
        results = health.readiness({"broker", "worker", "beat"})
        assert results["broker"].ok
        assert not results["worker"].ok and results["worker"].detail == "no worker heartbeat"
        assert not results["beat"].ok
        health.heartbeat_record("worker")
        health.heartbeat_record("beat")
        results = health.readiness({"worker", "beat"})
        assert results["worker"].ok and results["beat"].ok
        stale = time.time() - 3600
        client.set("exchange:heartbeat:worker", str(stale))
        assert not health.readiness({"worker"})["worker"].ok


def test_a_real_worker_beats_and_beat_records_its_sweeps(db):
    """The bootstep runs in a started worker; beat's publish hook writes beat's heartbeat."""
    _redis_or_skip()
    from celery.contrib.testing.worker import start_worker

    import exchange.celery as celery_module
    from exchange.celery import app

    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=REDIS_TEST_URL):
        old_url = app.conf.broker_url
        app.conf.broker_url = REDIS_TEST_URL
        try:
            with start_worker(app, perform_ping_check=False, loglevel="WARNING", pool="solo"):
                deadline = time.monotonic() + 10
                while not health.readiness({"worker"})["worker"].ok:
                    assert time.monotonic() < deadline, "no worker heartbeat"
                    time.sleep(0.2)
        finally:
            app.conf.broker_url = old_url
        celery_module._beat_started()
        try:
            celery_module._beat_sent()
            assert health.readiness({"beat"})["beat"].ok
        finally:
            celery_module._in_beat = False


def test_compose_health_checks_use_the_probes():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2]
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "readiness" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "readiness" in " ".join(services["beat"]["healthcheck"]["test"])
    assert "beat" in " ".join(services["beat"]["healthcheck"]["test"])
