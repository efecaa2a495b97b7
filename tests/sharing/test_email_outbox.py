"""The e-mail copy of a notice is owed until it is sent: a lost task, a broker or mail-server
outage, or two workers at once neither lose it nor send it twice (found by `make faults`)."""

from __future__ import annotations

import smtplib
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction

from embassies.choices import WorkspaceRole
from sharing.models import Notification
from sharing.notifications import deliver_due_emails, notify, owner_and_police
from sharing.tasks import send_due_emails_task, send_notice_emails_task
from tests.embassies.factories import UserFactory
from tests.sharing.test_visible_to import make


def _notify(record, event_key: str = "match:1", *, email: bool = True) -> int:
    return notify(
        recipients=owner_and_police(record),
        record=record,
        kind="compound_match",
        title="Match on report 1",
        url="/x/1/",
        event_key=event_key,
        email=email,
    )


def _mailed() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox)


def test_an_e_mail_whose_task_was_never_published_goes_out_with_the_sweep(
    alice, analyst, django_capture_on_commit_callbacks
):
    record = make(alice, police=True)
    # The broker was down: the after-commit publish never happened.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _notify(record) == 2
    assert len(callbacks) == 1 and mail.outbox == []
    assert Notification.objects.filter(email_due=True).count() == 2

    assert send_due_emails_task.apply().get() == 2
    assert _mailed() == sorted([alice.email, analyst.email])
    assert not Notification.objects.filter(email_due=True).exists()
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2
    # The lost task turns up after all, and the sweep runs again: nothing is sent twice.
    assert send_notice_emails_task.apply(args=["match:1"]).get() == 0
    assert send_due_emails_task.apply().get() == 0
    assert len(mail.outbox) == 2


def test_notifying_again_owes_only_the_new_recipients(
    alice, analyst, django_capture_on_commit_callbacks
):
    record = make(alice, police=False)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(record)
    assert _mailed() == [alice.email]
    record.police_access = True
    record.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(record) == 1  # the analyst now; alice has hers
    assert _mailed() == sorted([alice.email, analyst.email])


def test_a_mail_server_outage_keeps_the_e_mail_owed(
    alice, analyst, django_capture_on_commit_callbacks, settings
):
    record = make(alice, police=True)
    with django_capture_on_commit_callbacks(execute=False):
        _notify(record)
    # A real SMTP connection to a port nobody listens on: refused, an OSError.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(OSError):
        deliver_due_emails()
    assert Notification.objects.filter(email_due=True).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_due_emails() == 2
    assert _mailed() == sorted([alice.email, analyst.email])


def test_a_deactivated_recipient_is_not_mailed(alice, analyst, django_capture_on_commit_callbacks):
    record = make(alice, police=True)
    with django_capture_on_commit_callbacks(execute=False):
        _notify(record)
    analyst.is_active = False
    analyst.save()
    assert deliver_due_emails() == 1
    assert _mailed() == [alice.email]
    assert not Notification.objects.filter(email_due=True).exists()  # settled, not retried


def test_notices_without_e_mail_owe_none(alice, django_capture_on_commit_callbacks):
    record = make(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(record, "quiet", email=False)
    assert Notification.objects.count() == 1
    assert deliver_due_emails() == 0 and mail.outbox == []


def test_the_beat_runs_the_outbox_sweep_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sharing-send-due-emails"]
    assert entry == {"task": "sharing.tasks.send_due_emails_task", "schedule": 60.0}
    assert send_due_emails_task.name == entry["task"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_e_mail_once(alice, analyst):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: two workers never overlap")
    record = make(alice, police=True)
    _notify(record, event_key="race")
    mail.outbox.clear()
    Notification.objects.update(email_due=True, emailed_at=None)  # both owed again
    held = Notification.objects.get(recipient=analyst)
    locked, release = threading.Event(), threading.Event()

    def first_worker() -> None:  # sending the analyst's e-mail, not committed yet
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(20)
                raise RuntimeError("killed mid-send")  # its lock dies with it
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    try:
        assert locked.wait(20)
        # The second worker skips the notice the first one holds, and sends the other.
        assert deliver_due_emails(event_key="race") == 1
        assert _mailed() == [alice.email]
    finally:
        release.set()
        thread.join(30)
    # The first worker died without sending: the analyst's e-mail is still owed, sent once.
    assert Notification.objects.get(pk=held.pk).email_due
    assert deliver_due_emails() == 1
    assert deliver_due_emails() == 0
    assert _mailed() == sorted([alice.email, analyst.email])


class FlakyMailServer(locmem.EmailBackend):
    """A mail server that accepts `accept` messages, then drops the connection."""

    accept = 1

    def send_messages(self, messages):
        if len(mail.outbox) >= FlakyMailServer.accept:
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_mail_server_failing_mid_batch_loses_none_and_repeats_none(
    alice, analyst, django_capture_on_commit_callbacks, settings
):
    record = make(alice, police=True)
    with django_capture_on_commit_callbacks(execute=False):
        _notify(record)
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_due_emails()
    assert len(mail.outbox) == 1  # the first went out, and is marked sent
    assert Notification.objects.filter(email_due=True).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_due_emails() == 1
    assert _mailed() == sorted([alice.email, analyst.email])  # each once


def test_a_large_audience_is_mailed_in_a_few_queries(
    alice, alpha, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    """A whole delegation (60 people) hears of one event: the e-mails go out in batches, not
    one transaction each (found by `make load`: the worker's CPU had doubled)."""
    UserFactory.create_batch(59, workspace=alpha, role=WorkspaceRole.OFFICER)
    record = make(alice, police=False)
    with django_capture_on_commit_callbacks(execute=False):
        assert _notify(record) == 60
    with django_assert_max_num_queries(8):
        assert deliver_due_emails() == 60
    assert len(mail.outbox) == 60
