"""End to end through a real Celery worker on Redis (skipped without CELERY_BROKER_URL)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from indicators import services
from indicators.models import IPReport

pytestmark = pytest.mark.worker


def test_submission_is_matched_by_a_real_worker(real_worker, alice, kk_park, add_evidence):
    if real_worker is None:
        pytest.skip("no worker")
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("a worker thread and the test share no SQLite transaction")
    add_evidence(kk_park, "45.12.64.0/22")
    result = services.ip_report_submit_batch(
        actor=alice,
        rows=[
            {
                "row": 1,
                "address": "45.12.64.1",
                "seen_at": timezone.now() - timedelta(minutes=5),
                "context": "chat",
            },
            {
                "row": 2,
                "address": "8.8.8.8",
                "seen_at": timezone.now() - timedelta(minutes=5),
                "context": "chat",
            },
        ],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        states = {
            r.address: r.match_state
            for r in IPReport.objects.with_state().filter(pk__in=result.created)
        }
        if "pending" not in states.values():
            break
        time.sleep(0.1)
    assert states == {"45.12.64.1": "matched", "8.8.8.8": "no_match"}


def test_long_upload_is_stored_by_a_real_worker(real_worker, alice, monkeypatch):
    if real_worker is None:
        pytest.skip("no worker")
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("a worker thread and the test share no SQLite transaction")

    monkeypatch.setattr(services, "UPLOAD_CHUNK_ROWS", 4)  # the worker is a thread: same module
    seen = timezone.now() - timedelta(minutes=5)
    rows = [
        {"row": n + 2, "address": f"45.13.{n}.1", "seen_at": seen, "context": "chat"}
        for n in range(10)
    ]
    job = services.upload_job_create(
        actor=alice,
        rows=rows,
        file_name="ips.csv",
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.in_progress:
            break
        time.sleep(0.1)
    assert (job.status, job.processed_rows, job.accepted) == ("done", 10, 10)
    assert IPReport.objects.filter(address__startswith="45.13.").count() == 10
