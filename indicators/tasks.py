"""Thin Celery tasks: load ids, call a service. Idempotent, acknowledged late, retried."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from .lookups import id_array
from .models import PendingMatch
from .services import reports_match

logger = logging.getLogger(__name__)

SWEEP_BATCH = 10_000

_RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**_RETRY)
def match_reports_task(report_ids: list[int]) -> int:
    """Match the still-pending reports among `report_ids`; returns how many matches were made.

    Running it twice is harmless: the second run finds nothing pending, and the matches
    themselves are protected by the active-match unique constraint.
    """
    pending = list(
        PendingMatch.objects.filter(report__any_of=id_array(report_ids)).values_list(
            "report_id", flat=True
        )
    )
    if not pending:
        return 0
    return reports_match(report_ids=pending).created


@shared_task(**_RETRY)
def sweep_unmatched_task() -> int:
    """Beat, every minute: match every report left pending (e.g. the broker was down)."""
    total = 0
    while True:
        ids = list(
            PendingMatch.objects.order_by("queued_at").values_list("report_id", flat=True)[
                :SWEEP_BATCH
            ]
        )
        if not ids:
            return total
        reports_match(report_ids=ids)  # moves every one of them out of "pending"
        total += len(ids)
        if len(ids) < SWEEP_BATCH:
            return total


@shared_task(**_RETRY)
def rematch_for_evidence_task(evidence_id: int) -> int:
    """Re-match every report touching one piece of evidence (its prefix or AS, or its matches).

    Catalogue services already re-queue affected reports themselves (inside their transaction,
    so a broker outage cannot lose a re-match); this task is for operators and scripts.
    """
    from .models import Match, NetworkEvidence
    from .services import _reports_affected, reports_mark_pending

    evidence = NetworkEvidence.objects.filter(pk=evidence_id).first()
    affected = _reports_affected(evidence)
    affected |= set(
        Match.objects.active().filter(evidence_id=evidence_id).values_list("report_id", flat=True)
    )
    if not affected:
        return 0
    ids = reports_mark_pending(report_ids=affected)
    return reports_match(report_ids=ids).created


@shared_task(**_RETRY)
def upload_job_task(job_id: int) -> str:
    """Store a long upload chunk by chunk; a retry resumes after the last committed chunk."""
    from .services import upload_job_run

    job = upload_job_run(job_id=job_id)
    return job.status if job is not None else "missing"


@shared_task(**_RETRY)
def resume_upload_jobs_task() -> int:
    """Beat: finish every upload job that stopped advancing (broker down, retries spent)."""
    from .services import upload_job_run, upload_jobs_stale

    ids = upload_jobs_stale()
    for job_id in ids:
        upload_job_run(job_id=job_id)
    return len(ids)
