"""Long CSV uploads: an upload job stored in chunks by a task, with a self-refreshing page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from indicators import services
from indicators.models import IPReport, UploadJob
from indicators.tasks import resume_upload_jobs_task
from tests.csp import inline_code
from tests.oracle import fingerprint

pytestmark = pytest.mark.django_db

AUDIENCE = {"tlp": "amber", "audience": "police"}


def _seen(hours=1):
    return (timezone.now() - timedelta(hours=hours)).isoformat()


def _csv(rows: int = 8) -> bytes:
    """`rows` data rows: row 3 (line 4) is private, line 6 repeats line 2, the rest are good."""
    seen = _seen()
    lines = ["address,seen_at,context"]
    for i in range(rows):
        address = f"45.12.{i}.1"
        if i == 2:
            address = "10.0.0.1"
        if i == 4:
            address = "45.12.0.1"
        lines.append(f"{address},{seen},chat")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def small_chunks(monkeypatch, settings):
    settings.INDICATORS_UPLOAD_ASYNC_ROWS = 5
    monkeypatch.setattr(services, "UPLOAD_CHUNK_ROWS", 3)


def _job_for(user, rows: int = 8) -> UploadJob:
    from indicators.importers import decode, rows_from_csv

    return services.upload_job_create(
        actor=user,
        rows=rows_from_csv(decode(_csv(rows))),
        file_name="ips.csv",
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )


def test_long_upload_becomes_a_job_that_runs_inline_without_a_broker(
    alice, as_user, small_chunks, django_capture_on_commit_callbacks
):
    browser = as_user(alice)
    upload = SimpleUploadedFile("ips.csv", _csv(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("indicators:report_upload"), {"file": upload, **AUDIENCE})
    job = UploadJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("indicators:upload_job", args=[job.pk])
    assert (job.status, job.total_rows, job.processed_rows) == ("done", 8, 8)
    assert (job.accepted, job.duplicates, job.rejected) == (6, 1, 1)
    assert job.rows == [] and job.finished_at is not None
    assert IPReport.objects.count() == 6
    page = browser.get(response["Location"])
    assert not page.has_header("Refresh") and b"http-equiv" not in page.content
    text = page.content.decode()
    assert "8 of 8 rows (100%)" in text
    problems = {(p["row"], p["kind"], p["reason"].split(" (")[0]) for p in job.problems}
    assert problems == {
        (4, "rejected", "private address range"),
        (6, "duplicate", "already reported"),
    }
    assert "private address range" in text and "already reported" in text


def test_short_upload_stays_synchronous(alice, as_user, small_chunks):
    upload = SimpleUploadedFile("ips.csv", _csv(5), content_type="text/csv")
    response = as_user(alice).post(
        reverse("indicators:report_upload"), {"file": upload, **AUDIENCE}
    )
    assert response.status_code == 200 and len(response.context["result"].created) == 3
    assert not UploadJob.objects.exists()


def test_page_shows_progress_and_refreshes_while_running(alice, as_user, small_chunks):
    job = _job_for(alice)  # the on-commit enqueue never runs here: as if the broker were slow
    url = reverse("indicators:upload_job", args=[job.pk])
    page = as_user(alice).get(url)
    assert page["Refresh"] == "2" and b'<meta http-equiv="refresh" content="2">' in page.content
    assert "0 of 8 rows (0%)" in page.content.decode()
    services._upload_chunk(job.pk, 3)
    page = as_user(alice).get(url)
    assert "3 of 8 rows (37%)" in page.content.decode() and page["Refresh"] == "2"
    assert inline_code(page.content.decode()) == []  # the refresh needs no script


def test_retry_resumes_after_the_last_committed_chunk(alice, small_chunks, monkeypatch):
    job = _job_for(alice)
    real = services.ip_report_submit_batch
    calls = []

    def flaky(**kwargs):
        calls.append(len(kwargs["rows"]))
        if len(calls) == 2:
            raise DatabaseError("connection lost")
        return real(**kwargs)

    monkeypatch.setattr(services, "ip_report_submit_batch", flaky)
    with pytest.raises(DatabaseError):
        services.upload_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.accepted) == ("running", 3, 2)
    assert IPReport.objects.count() == 2
    services.upload_job_run(job_id=job.pk)  # the task's retry
    services.upload_job_run(job_id=job.pk)  # and a duplicate delivery: changes nothing
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == ("done", 8)
    assert (job.accepted, job.duplicates, job.rejected) == (6, 1, 1)
    assert IPReport.objects.count() == 6
    assert calls == [3, 3, 3, 2]  # the failed chunk ran again, no other one did


def test_sweep_finishes_a_job_whose_task_never_ran(alice, small_chunks):
    job = _job_for(alice)
    assert resume_upload_jobs_task() == 0  # fresh: its task may still be on its way
    UploadJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert resume_upload_jobs_task() == 1
    job.refresh_from_db()
    assert job.status == "done" and IPReport.objects.count() == 6


def test_job_fails_clearly_when_the_officer_was_deactivated(alice, small_chunks):
    job = _job_for(alice)
    alice.is_active = False  # left the post between the upload and the worker's run
    alice.save(update_fields=["is_active"])
    services.upload_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "liaison officers" in job.error
    assert IPReport.objects.count() == 0


def test_job_page_is_the_owner_workspaces_only(alice, alpha_admin, bob, analyst, as_user):
    job = _job_for(alice)
    url = reverse("indicators:upload_job", args=[job.pk])
    missing = reverse("indicators:upload_job", args=[job.pk + 1000])
    for outsider in (bob, analyst):
        browser = as_user(outsider)
        assert browser.get(url).status_code == 404
        assert fingerprint(browser.get(url), url) == fingerprint(browser.get(missing), missing)
    assert as_user(alpha_admin).get(url).status_code == 200
    assert as_user(alice).get(url).status_code == 200


def test_over_the_limit_is_refused_before_a_job_exists(alice):
    from django.core.exceptions import ValidationError

    rows = [{"row": n, "address": "8.8.8.8"} for n in range(10_001)]
    with pytest.raises(ValidationError, match="At most 10000"):
        services.upload_job_create(
            actor=alice,
            rows=rows,
            file_name="x.csv",
            tlp="amber",
            police_access=True,
            shared_with_all=False,
        )
    assert not UploadJob.objects.exists()
