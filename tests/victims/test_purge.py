"""Retention: identity of records final longer than the period is purged, audited, once."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from victims import audit, services
from victims.choices import AccessAction, VictimStatus
from victims.models import AccessEvent, VictimRecord
from victims.selectors import victim_stats
from victims.tasks import victims_purge_expired_task

from .factories import story, victim


def _final(record, alice, days_ago):
    record = services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.CLOSED, note="Declined"
    )
    VictimRecord.objects.filter(pk=record.pk).update(
        final_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return record


def test_purge_erases_identity_keeps_stats_and_is_audited(alice, settings):
    settings.VICTIMS_RETENTION_DAYS = 30
    old = _final(victim(alice, nationality="PH"), alice, days_ago=31)
    recent = _final(victim(alice, given_name="Recent"), alice, days_ago=29)
    open_record = victim(alice, given_name="Open")
    stats_before = victim_stats(user=alice)

    assert victims_purge_expired_task.apply().get() == 1

    purged = VictimRecord.objects.get(pk=old.pk)
    assert purged.identity_purged_at is not None
    assert (purged.given_name, purged.family_name, purged.passport_number, purged.phone) == (
        "",
        "",
        "",
        "",
    )
    assert purged.date_of_birth is None and purged.passport_hash == ""
    assert (purged.status, purged.nationality) == (VictimStatus.CLOSED, "PH")
    assert VictimRecord.objects.get(pk=recent.pk).given_name == "Recent"
    assert VictimRecord.objects.get(pk=open_record.pk).given_name == "Open"
    entry = AccessEvent.objects.get(action=AccessAction.PURGE)
    assert entry.record_id == old.pk and entry.actor is None and "retention" in entry.detail
    assert purged.events.last().kind == "purged"
    # The statistics do not change: they never needed the identity.
    assert victim_stats(user=alice) == stats_before
    assert audit.chain_verify().ok


def test_purge_is_idempotent(alice, settings):
    settings.VICTIMS_RETENTION_DAYS = 1
    _final(victim(alice), alice, days_ago=5)
    assert services.victims_purge_expired() == 1
    assert services.victims_purge_expired() == 0
    assert AccessEvent.objects.filter(action=AccessAction.PURGE).count() == 1


def test_purged_identity_cannot_be_edited_back(alice, settings):
    settings.VICTIMS_RETENTION_DAYS = 1
    record = _final(victim(alice), alice, days_ago=5)
    services.victims_purge_expired()
    with pytest.raises(Exception, match="purged"):
        services.victim_update(actor=alice, record=record, given_name="Back")


def test_beat_schedules_the_purge():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["victims-purge-expired-identity"]
    assert entry["task"] == victims_purge_expired_task.name


@pytest.mark.worker
def test_purge_runs_on_a_real_worker(alice, real_worker, settings):
    settings.VICTIMS_RETENTION_DAYS = 1
    record = _final(victim(alice), alice, days_ago=5)
    victims_purge_expired_task.delay()  # no result backend: watch the row instead
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if VictimRecord.objects.get(pk=record.pk).identity_purged_at is not None:
            break
        time.sleep(0.1)
    assert VictimRecord.objects.get(pk=record.pk).identity_purged_at is not None
    assert AccessEvent.objects.filter(action=AccessAction.PURGE, record_id=record.pk).count() == 1


def test_purge_also_erases_the_free_text_about_the_person(alice, settings):
    """Screening reasons, the lawful-basis note and the timeline's notes tell the person's
    story: they go with the identity."""
    settings.VICTIMS_RETENTION_DAYS = 1
    record, screening = story(
        alice,
        created_note="Her aunt Quorrelby reported her missing",
        located_note="Found in Building 7",
        reason="Sold to the compound by Zyxwanda",
        basis="Her family is threatened",
    )
    _final(record, alice, days_ago=5)
    assert services.victims_purge_expired() == 1
    record.refresh_from_db()
    screening.refresh_from_db()
    assert record.lawful_basis_note == screening.outcome_reason == services.PURGED_NOTE
    assert record.lawful_basis  # the basis itself is not about the person, and stays
    # The timeline keeps every entry (who, when, which status), with no note but the purge's.
    notes = {e.kind: e.note for e in record.events.all()}
    assert notes.pop("purged").startswith("retention")
    assert set(notes.values()) == {""}
    assert record.events.count() >= 5
