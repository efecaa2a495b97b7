from celery import shared_task
from django.db import DatabaseError

from . import services


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
    return services.invitation_email_send(invitation_id=invitation_id, token=token)


@shared_task(acks_late=True)
def send_unsent_invitations_task() -> int:
    """The beat's sweep: a fresh link for each open invitation whose e-mail was lost."""
    return services.invitations_send_unsent()
