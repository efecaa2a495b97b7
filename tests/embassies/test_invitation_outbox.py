"""An invitation whose e-mail was lost (broker down, task lost) gets a fresh link from the
minute sweep; a link is never sent twice, and a stale task never sends an old one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from embassies import services
from embassies.choices import WorkspaceRole
from embassies.models import Invitation
from embassies.tasks import send_invitation_email_task, send_unsent_invitations_task

LATER = services.INVITATION_EMAIL_GRACE + timedelta(seconds=1)


@pytest.fixture
def lost_invitation(alpha, alpha_admin, django_capture_on_commit_callbacks):
    """An invitation saved while the broker was down: its e-mail task was never published."""
    with django_capture_on_commit_callbacks(execute=False):
        invitation, token = services.invitation_create(
            actor=alpha_admin, workspace=alpha, email="new@alpha.test", role=WorkspaceRole.OFFICER
        )
    assert mail.outbox == [] and invitation.emailed_at is None
    return invitation, token


def _link_in(message) -> str:
    return next(w for w in message.body.split() if "/invite/" in w)


def _opens(link: str) -> bool:
    return Client().get(link.removeprefix(settings.SITE_URL)).status_code == 200


def test_the_sweep_sends_a_fresh_link_once(lost_invitation):
    invitation, old_token = lost_invitation
    # Within the grace period the invitation's own task may still come: the sweep waits.
    assert services.invitations_send_unsent() == 0
    assert services.invitations_send_unsent(now=timezone.now() + LATER) == 1
    (message,) = mail.outbox
    assert message.to == ["new@alpha.test"]
    link = _link_in(message)
    assert old_token not in link
    assert _opens(link)
    assert not _opens(reverse("invitation_accept", args=[old_token]))  # the lost one is void
    invitation.refresh_from_db()
    assert invitation.emailed_at is not None
    # Sent: neither the sweep again nor the lost task turning up sends anything more.
    assert services.invitations_send_unsent(now=timezone.now() + LATER) == 0
    assert send_invitation_email_task.apply(args=[invitation.pk, old_token]).get() is False
    assert len(mail.outbox) == 1


def test_the_own_task_sends_once_and_the_sweep_then_has_nothing(lost_invitation):
    invitation, token = lost_invitation
    assert send_invitation_email_task.apply(args=[invitation.pk, token]).get() is True
    assert send_invitation_email_task.apply(args=[invitation.pk, token]).get() is False
    assert services.invitations_send_unsent(now=timezone.now() + LATER) == 0
    (message,) = mail.outbox
    assert token in _link_in(message)


@pytest.mark.parametrize("ended", ["revoked", "accepted", "expired"])
def test_ended_invitations_are_not_sent(lost_invitation, alpha_admin, ended):
    invitation, _ = lost_invitation
    if ended == "revoked":
        services.invitation_revoke(actor=alpha_admin, invitation=invitation)
    elif ended == "accepted":
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    else:
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert services.invitations_send_unsent(now=timezone.now() + LATER) == 0
    assert mail.outbox == []


def test_a_mail_server_outage_leaves_the_invitation_as_it_was(lost_invitation, settings):
    invitation, token = lost_invitation
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(OSError):
        services.invitations_send_unsent(now=timezone.now() + LATER)
    invitation.refresh_from_db()
    assert invitation.emailed_at is None
    assert _opens(reverse("invitation_accept", args=[token]))  # the token was not replaced
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_unsent_invitations_task.apply().get() == 0  # (now: still within the grace)
    assert services.invitations_send_unsent(now=timezone.now() + LATER) == 1


def test_the_beat_runs_the_invitation_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["embassies-send-unsent-invitations"]
    assert entry == {"task": "embassies.tasks.send_unsent_invitations_task", "schedule": 60.0}
    assert send_unsent_invitations_task.name == entry["task"]
