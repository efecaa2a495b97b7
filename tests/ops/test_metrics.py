"""/metrics: Prometheus text, restricted, counting requests, queues and task outcomes."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _scrape(**extra) -> dict:
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return _samples(response.content.decode())


def test_metrics_count_a_submitted_batch_and_its_matching_task(
    alice, as_user, django_capture_on_commit_callbacks
):
    before = _scrape().get(
        (
            "exchange_http_requests_total",
            (("method", "POST"), ("status", "201"), ("view", "api_ip_reports")),
        ),
        0,
    )
    rows = [{"address": "8.8.8.8", "seen_at": timezone.now().isoformat(), "context": "chat"}]
    with django_capture_on_commit_callbacks(execute=True):  # the matching task runs
        response = as_user(alice).post(
            "/api/v1/ip-reports/",
            {"reports": rows, "tlp": "amber", "police_access": True},
            content_type="application/json",
        )
    assert response.status_code == 201
    samples = _scrape()
    key = (
        "exchange_http_requests_total",
        (("method", "POST"), ("status", "201"), ("view", "api_ip_reports")),
    )
    assert samples[key] == before + 1
    assert (
        "exchange_http_request_duration_seconds_count",
        (("view", "api_ip_reports"),),
    ) in samples
    assert samples[("exchange_pending_matches", ())] == 0
    succeeded = [
        v
        for (name, labels), v in samples.items()
        if name == "exchange_celery_tasks_total"
        and ("outcome", "success") in labels
        and ("task", "indicators.tasks.match_reports_task") in labels
    ]
    assert succeeded and succeeded[0] >= 1


def test_metrics_show_the_queues(alice, db):
    from sharing.models import Notification

    Notification.objects.create(
        recipient=alice, kind="t", title="t", url="/", event_key="e", email_due=True
    )
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    samples = _scrape()
    assert samples[("exchange_emails_owed", ())] == 1
    assert samples[("exchange_email_owed_oldest_seconds", ())] >= 599
    for state in ("queued", "running", "done", "failed"):
        assert samples[("exchange_upload_jobs", (("state", state),))] == 0
    assert samples[("exchange_freezes_open", (("age", "over_24h"),))] == 0


@pytest.mark.parametrize("remote", ["10.0.0.7", "203.0.113.9"])
def test_metrics_refused_off_the_loopback_without_a_token(db, remote):
    response = Client(REMOTE_ADDR=remote).get("/metrics")
    assert response.status_code == 404


@override_settings(METRICS_TOKEN="s3cret-token-for-tests")
def test_metrics_with_a_token_need_it_even_on_the_loopback(db):
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    wrong = Client(REMOTE_ADDR="10.0.0.7").get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 404
    scraper = Client(REMOTE_ADDR="10.0.0.7", HTTP_HOST="web:8000")
    response = scraper.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-tests")
    assert response.status_code == 200
    assert b"exchange_pending_matches" in response.content


def test_signed_in_users_get_no_metrics_either(alice, as_user):
    assert as_user(alice).get("/metrics", REMOTE_ADDR="10.1.1.1").status_code == 404
