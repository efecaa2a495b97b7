from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import DatabaseError

from embassies.models import User


# Retried on mail-server and database outages alike (a PostgreSQL restart must not drop it):
# 1, 2, 4 ... 60 s apart, about four minutes in all. Without jitter, because Celery's jitter
# draws each wait from 0..backoff and five quick retries could all fall inside one restart.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError, DatabaseError),
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=False,
    max_retries=8,
)
def send_notification_emails_task(user_ids: list[int], subject: str, url: str) -> int:
    """E-mail a link to each active recipient. The body holds the link and nothing else."""
    link = settings.SITE_URL + url
    body = (
        "There is something new for you on the intelligence exchange.\n\n"
        f"Sign in to see it: {link}\n\n"
        "For safety this e-mail carries no details."
    )
    emails = User.objects.filter(pk__in=user_ids, is_active=True).values_list("email", flat=True)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [e]) for e in emails]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
