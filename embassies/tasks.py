from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Invitation


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, DatabaseError),  # as sharing's e-mail task: outages are retried
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=False,
    retry_kwargs={"max_retries": 8},
)
def send_invitation_email_task(invitation_id: int, token: str) -> bool:
    """E-mail the invitation link. The mail carries the link only, no workspace content."""
    invitation = (
        Invitation.objects.select_related("workspace__delegation").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.state() != "pending":
        return False
    link = settings.SITE_URL + reverse("invitation_accept", args=[token])
    body = render_to_string(
        "registration/invitation_email.txt",
        {"invitation": invitation, "link": link, "ttl_hours": settings.INVITATION_TTL},
    )
    send_mail(
        subject="Invitation to the scam-compound intelligence exchange",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )
    return True
