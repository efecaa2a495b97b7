"""Celery tasks of the victims app: thin wrappers over services."""

from __future__ import annotations

from celery import shared_task

from .services import victims_purge_expired


@shared_task(name="victims.tasks.victims_purge_expired_task", acks_late=True)
def victims_purge_expired_task() -> int:
    """Beat (every 6 hours): purge identity of records final longer than the retention period.

    Idempotent: purged records are skipped, so a retried or overlapping run purges nothing twice.
    """
    return victims_purge_expired()
