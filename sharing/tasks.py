from celery import shared_task
from django.db import DatabaseError

from .notifications import deliver_due_emails


# Retried on mail-server and database outages alike (a PostgreSQL restart must not drop it):
# 1, 2, 4 ... 60 s apart, about four minutes in all. Without jitter, because Celery's jitter
# draws each wait from 0..backoff and five quick retries could all fall inside one restart.
# Whatever is still owed after that (or was never published) the minute sweep sends.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=8,
)
def send_notice_emails_task(event_key: str) -> int:
    """E-mail the notices of one event that still owe their e-mail."""
    return deliver_due_emails(event_key=event_key)


@shared_task(acks_late=True)
def send_due_emails_task() -> int:
    """The beat's outbox sweep: every e-mail still owed (its task lost, the broker down)."""
    return deliver_due_emails()
