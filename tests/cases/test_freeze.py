"""Freeze requests: who raises them, the clock from the report, overdue first, expiry reminders."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import selectors, services
from cases.choices import FreezeState
from cases.models import FreezeRequest, LeadEvent
from cases.tasks import freeze_expiry_sweep_task
from sharing.models import Notification

from .factories import KBANK, make_lead

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def reported(alice):
    """A mule account reported by alpha at T0."""
    return make_lead(alice, kind="bank_account", fields=dict(KBANK), now=T0)


def test_raise_records_the_report_time_and_bank(reported, analyst, alice):
    freeze = services.freeze_request_raise(
        actor=analyst, lead=reported, now=T0 + timedelta(minutes=3)
    )
    assert freeze.reported_at == T0
    assert freeze.bank == "Kasikornbank" and freeze.account_number == "1234567890"
    assert freeze.state == FreezeState.REQUESTED
    assert LeadEvent.objects.filter(lead=reported, action="freeze").exists()
    assert Notification.objects.filter(recipient=alice, kind="freeze_requested").exists()


def test_owner_officer_may_raise(reported, alice):
    assert services.freeze_request_raise(actor=alice, lead=reported).requested_by == alice


def test_only_bank_account_leads(lead, analyst):
    with pytest.raises(ValidationError) as info:
        services.freeze_request_raise(actor=analyst, lead=lead)
    assert "lead" in info.value.message_dict


def test_other_workspace_cannot_raise(alice, bob, bravo):
    shared = make_lead(alice, kind="bank_account", fields=dict(KBANK), named=[bravo])
    with pytest.raises(PermissionDenied):
        services.freeze_request_raise(actor=bob, lead=shared)
    hidden = make_lead(alice, kind="bank_account", fields=dict(KBANK), police=False)
    with pytest.raises(PermissionDenied):
        services.freeze_request_raise(actor=bob, lead=hidden)


def test_one_open_request_per_account(reported, analyst):
    services.freeze_request_raise(actor=analyst, lead=reported)
    with pytest.raises(ValidationError):
        services.freeze_request_raise(actor=analyst, lead=reported)


def test_clock_overdue_and_report_to_freeze(reported, analyst, settings):
    settings.FREEZE_OVERDUE_MINUTES = 30
    freeze = services.freeze_request_raise(
        actor=analyst, lead=reported, now=T0 + timedelta(minutes=5)
    )
    at_29 = selectors.freeze_get(user=analyst, freeze_id=freeze.pk, now=T0 + timedelta(minutes=29))
    assert at_29.overdue is False
    at_31 = selectors.freeze_get(user=analyst, freeze_id=freeze.pk, now=T0 + timedelta(minutes=31))
    assert at_31.overdue is True
    clock = selectors.freeze_clock(at_31, now=T0 + timedelta(minutes=31))
    assert clock.running and clock.overdue and clock.elapsed == timedelta(minutes=31)

    services.freeze_request_update(
        actor=analyst,
        freeze=freeze,
        state=FreezeState.ACKNOWLEDGED,
        bank_reference=" KB-991 ",
        now=T0 + timedelta(minutes=35),
    )
    frozen = services.freeze_request_update(
        actor=analyst, freeze=freeze, state=FreezeState.FROZEN, now=T0 + timedelta(minutes=40)
    )
    assert frozen.bank_reference == "KB-991"
    assert frozen.report_to_freeze == timedelta(minutes=40)
    assert frozen.hold_expires_at == T0 + timedelta(minutes=40, days=settings.FREEZE_HOLD_DAYS)
    later = selectors.freeze_get(user=analyst, freeze_id=freeze.pk, now=T0 + timedelta(hours=5))
    assert later.overdue is False
    stopped = selectors.freeze_clock(later, now=T0 + timedelta(hours=5))
    assert not stopped.running and stopped.elapsed == timedelta(minutes=40)


def test_queue_lists_overdue_first(alice, analyst, settings):
    settings.FREEZE_OVERDUE_MINUTES = 30
    now = T0 + timedelta(hours=2)
    fresh_lead = make_lead(
        alice,
        kind="bank_account",
        fields={"bank": "SCB", "account_number": "1111111111"},
        now=now - timedelta(minutes=5),
    )
    old_lead = make_lead(
        alice,
        kind="bank_account",
        fields={"bank": "BBL", "account_number": "2222222222"},
        now=now - timedelta(minutes=50),
    )
    done_lead = make_lead(
        alice,
        kind="bank_account",
        fields={"bank": "KTB", "account_number": "3333333333"},
        now=now - timedelta(hours=3),
    )
    fresh = services.freeze_request_raise(actor=analyst, lead=fresh_lead, now=now)
    old = services.freeze_request_raise(actor=analyst, lead=old_lead, now=now)
    done = services.freeze_request_raise(actor=analyst, lead=done_lead, now=now)
    services.freeze_request_update(actor=analyst, freeze=done, state=FreezeState.FROZEN, now=now)
    queue = list(selectors.freeze_queue(user=analyst, now=now))
    assert [f.pk for f in queue] == [old.pk, fresh.pk, done.pk]
    assert [f.overdue for f in queue] == [True, False, False]


def test_freeze_state_machine(reported, analyst):
    freeze = services.freeze_request_raise(actor=analyst, lead=reported)
    with pytest.raises(ValidationError):
        services.freeze_request_update(actor=analyst, freeze=freeze, state=FreezeState.RELEASED)
    with pytest.raises(ValidationError):
        services.freeze_request_update(
            actor=analyst, freeze=freeze, hold_expires_at=timezone.now() + timedelta(days=1)
        )
    services.freeze_request_update(actor=analyst, freeze=freeze, state=FreezeState.REFUSED)
    with pytest.raises(ValidationError):
        services.freeze_request_update(actor=analyst, freeze=freeze, state=FreezeState.FROZEN)
    # A refused request is closed: a new one may be raised.
    services.freeze_request_raise(actor=analyst, lead=reported)


def test_expiry_reminder_once_then_expired(reported, alice, analyst, settings):
    settings.FREEZE_REMINDER_HOURS = 24
    freeze = services.freeze_request_raise(actor=analyst, lead=reported, now=T0)
    services.freeze_request_update(
        actor=analyst,
        freeze=freeze,
        state=FreezeState.FROZEN,
        hold_expires_at=T0 + timedelta(days=3),
        now=T0 + timedelta(minutes=20),
    )
    early = services.freeze_expiry_sweep(now=T0 + timedelta(days=1))
    assert early == {"reminded": 0, "expired": 0}
    due = T0 + timedelta(days=2, hours=12)
    assert services.freeze_expiry_sweep(now=due) == {"reminded": 1, "expired": 0}
    assert services.freeze_expiry_sweep(now=due + timedelta(hours=1)) == {
        "reminded": 0,
        "expired": 0,
    }
    assert Notification.objects.filter(recipient=alice, kind="freeze_hold_expiring").count() == 1
    assert Notification.objects.filter(recipient=analyst, kind="freeze_hold_expiring").count() == 1
    # The bank extends the hold: a new expiry gets its own reminder.
    services.freeze_request_update(
        actor=analyst, freeze=freeze, hold_expires_at=T0 + timedelta(days=3, hours=6)
    )
    assert services.freeze_expiry_sweep(now=T0 + timedelta(days=3)) == {
        "reminded": 1,
        "expired": 0,
    }
    assert services.freeze_expiry_sweep(now=T0 + timedelta(days=4)) == {
        "reminded": 0,
        "expired": 1,
    }
    freeze.refresh_from_db()
    assert freeze.state == FreezeState.EXPIRED and freeze.closed_at == T0 + timedelta(days=4)


def test_beat_task_runs_the_sweep(reported, analyst):
    freeze = services.freeze_request_raise(actor=analyst, lead=reported)
    services.freeze_request_update(
        actor=analyst,
        freeze=freeze,
        state=FreezeState.FROZEN,
        hold_expires_at=timezone.now() + timedelta(hours=1),
    )
    assert freeze_expiry_sweep_task.delay().get() == {"reminded": 1, "expired": 0}
    assert freeze_expiry_sweep_task.delay().get() == {"reminded": 0, "expired": 0}


def test_freeze_requests_follow_the_lead_audience(alice, bob, analyst):
    hidden = make_lead(alice, kind="bank_account", fields=dict(KBANK), police=False)
    freeze = services.freeze_request_raise(actor=alice, lead=hidden)
    assert FreezeRequest.objects.count() == 1
    for stranger in (bob, analyst):
        assert not selectors.freeze_list(user=stranger).exists()
        with pytest.raises(Exception) as info:
            selectors.freeze_get(user=stranger, freeze_id=freeze.pk)
        assert info.type.__name__ == "Http404"
    assert selectors.freeze_get(user=alice, freeze_id=freeze.pk).pk == freeze.pk


@pytest.mark.worker
def test_sweep_through_the_real_broker(real_worker, alice, analyst):
    """The beat task's message goes through Redis to a worker; the reminder lands once."""
    lead = make_lead(alice, kind="bank_account", fields=dict(KBANK))
    freeze = services.freeze_request_raise(actor=analyst, lead=lead)
    services.freeze_request_update(
        actor=analyst,
        freeze=freeze,
        state=FreezeState.FROZEN,
        hold_expires_at=timezone.now() + timedelta(hours=2),
    )
    freeze_expiry_sweep_task.delay()
    freeze_expiry_sweep_task.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        freeze.refresh_from_db()
        if freeze.reminded_for is not None:
            break
        time.sleep(0.1)
    time.sleep(0.5)  # let the second message run too
    assert freeze.reminded_for == freeze.hold_expires_at
    assert Notification.objects.filter(recipient=alice, kind="freeze_hold_expiring").count() == 1
