"""The access log: append-only, hash-chained, consistent, and readable by the owner's admin."""

import itertools
import threading

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction

from victims import audit
from victims.choices import AccessAction
from victims.models import AccessEvent, VictimEvent
from victims.querysets import AppendOnlyError

from .factories import victim


def _log(actor, record, n=1, action=AccessAction.VIEW):
    return audit.access_log(actor=actor, records=[record] * n, action=action, ip="10.0.0.1")


def test_chain_links_every_entry(alice, record):
    _log(alice, record, 3)
    events = list(AccessEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == audit.GENESIS
    for prev, nxt in itertools.pairwise(events):
        assert nxt.prev_hash == prev.hash
    report = audit.chain_verify()
    assert report.ok and report.checked == len(events)


def test_app_cannot_change_or_delete_entries(alice, record):
    event = _log(alice, record)[0]
    event.detail = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).update(detail="x")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        VictimEvent.objects.all().delete()


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _tamper(sql, params):
    """Edit the log behind the app's back, as the table owner could: on PostgreSQL only by
    disabling the trigger with ALTER TABLE (rolled back with the test's transaction)."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # no pending FK checks block ALTER TABLE
        _raw("ALTER TABLE victims_accessevent DISABLE TRIGGER USER", [])
    _raw(sql, params)
    if connection.vendor == "postgresql":
        _raw("ALTER TABLE victims_accessevent ENABLE TRIGGER USER", [])


def test_verify_detects_an_edit(alice, record):
    events = _log(alice, record, 3)
    _tamper("UPDATE victims_accessevent SET detail = %s WHERE seq = %s", ["x", events[1].seq])
    report = audit.chain_verify()
    assert not report.ok
    assert any(f"#{events[1].seq}" in p and "edited" in p for p in report.problems)


def test_verify_detects_a_gap_and_a_removed_tail(alice, record):
    events = _log(alice, record, 4)
    _tamper("DELETE FROM victims_accessevent WHERE seq = %s", [events[1].seq])
    report = audit.chain_verify()
    assert any("gap" in p for p in report.problems)
    assert any(f"#{events[2].seq}" in p and "link" in p for p in report.problems)
    _tamper("DELETE FROM victims_accessevent WHERE seq = %s", [events[3].seq])
    assert any("removed from the end" in p for p in audit.chain_verify().problems)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL-only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE victims_accessevent SET detail = 'x'",
        "DELETE FROM victims_accessevent",
        "UPDATE victims_victimevent SET note = 'x'",
        "DELETE FROM victims_victimevent",
        # The one erasure allowed (a note blanked) cannot carry another change along.
        "UPDATE victims_victimevent SET note = '', kind = 'edited'",
        "UPDATE victims_victimevent SET note = '', at = now() - interval '1 day'",
        "UPDATE victims_victimevent SET note = '', actor_id = NULL",
    ],
)
def test_database_trigger_refuses_raw_update_and_delete(alice, record, sql):
    _log(alice, record)
    with pytest.raises(DatabaseError, match=r"(?i)protect|cannot"), transaction.atomic():
        _raw(sql, [])
    assert audit.chain_verify().ok


def test_timeline_notes_can_only_be_blanked(alice, record):
    """The purge blanks what officers wrote about the person; the entries themselves stay,
    and no other column of the timeline, nor the access log, can be erased."""
    from victims.models import AccessEvent, VictimEvent
    from victims.querysets import AppendOnlyError

    _log(alice, record)
    entries = list(VictimEvent.objects.filter(record=record).values_list("pk", "kind", "at"))
    assert VictimEvent.objects.filter(record=record).erase("note") == len(entries)
    after = VictimEvent.objects.filter(record=record)
    assert list(after.values_list("pk", "kind", "at")) == entries
    assert {e.note for e in after} == {""}
    with pytest.raises(AppendOnlyError):
        VictimEvent.objects.filter(record=record).erase("kind")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().erase("detail")
    assert audit.chain_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL-only")
def test_pgtrigger_session_bypass_does_not_open_the_log(alice, record):
    """pgtrigger's `ignore` (a session setting any app connection could set) has no effect."""
    _log(alice, record)
    with (
        pgtrigger.ignore("victims.AccessEvent:vic_access_append_only"),
        pytest.raises(DatabaseError, match=r"(?i)cannot"),
        transaction.atomic(),
    ):
        _raw("UPDATE victims_accessevent SET detail = 'x'", [])
    with pytest.raises(DatabaseError, match=r"(?i)cannot"), transaction.atomic():
        _raw("SET LOCAL pgtrigger.ignore = '{pgtrigger_vic_access_append_only_ff410}'", [])
        _raw("DELETE FROM victims_accessevent", [])
    assert audit.chain_verify().ok


def test_client_ip_trusts_forwarded_for_only_behind_configured_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.VICTIMS_TRUSTED_PROXY_COUNT = 0
    assert audit.client_ip(request) == "10.1.1.1"
    settings.VICTIMS_TRUSTED_PROXY_COUNT = 1
    assert audit.client_ip(request) == "203.0.113.7"
    settings.VICTIMS_TRUSTED_PROXY_COUNT = 2
    assert audit.client_ip(request) == "6.6.6.6"
    bad = rf.get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    settings.VICTIMS_TRUSTED_PROXY_COUNT = 1
    assert audit.client_ip(bad) is None


def test_bulk_entries_share_one_lock_and_stay_in_order(alice, record):
    other = victim(alice, given_name="Other")
    events = audit.access_log(actor=alice, records=[record, other], action=AccessAction.SEARCH_HIT)
    assert [e.record_id for e in events] == [record.pk, other.pk]
    assert events[1].prev_hash == events[0].hash
    assert audit.chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_consistent(alice):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the lock matters on PostgreSQL")
    record = victim(alice)
    errors = []

    def write():
        try:
            for _ in range(5):
                _log(alice, record)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = audit.chain_verify()
    assert report.ok, report.problems
    assert report.checked == AccessEvent.objects.count() >= 30


def test_verify_command(alice, record):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("victims_verify_audit", stdout=out)
    assert "intact" in out.getvalue()
