"""The same matching task delivered twice matches and notifies once (found by `make faults`).

Before the fix, two copies of one task running at the same time both found no match yet, both
inserted (the unique constraint dropped the second copy) and both notified: every match e-mail
went out twice. Now a run locks the queue rows first (FOR UPDATE), so a second run waits for
the first and finds its matches.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from indicators import services
from indicators.models import Match, PendingMatch
from indicators.tasks import match_reports_task, sweep_unmatched_task
from sharing.models import Notification


@pytest.fixture
def queued_report(alice, kk_park, add_evidence, monkeypatch):
    """A report stored and queued for matching, its task not run yet (as if still in flight)."""
    add_evidence(kk_park, "45.12.64.0/22")
    monkeypatch.setattr(services, "enqueue_matching", lambda ids: False)
    result = services.ip_report_submit_batch(
        actor=alice,
        rows=[{"row": 1, "address": "45.12.64.1", "seen_at": timezone.now(), "context": "chat"}],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    return result.created[0]


def test_a_task_delivered_again_after_it_ran_changes_nothing(
    queued_report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert match_reports_task.apply(args=[[queued_report]]).get() == 1
    notices, emails = Notification.objects.count(), len(mail.outbox)
    assert notices and emails == notices
    with django_capture_on_commit_callbacks(execute=True):
        assert match_reports_task.apply(args=[[queued_report]]).get() == 0
        assert sweep_unmatched_task.apply().get() == 0
    assert Match.objects.count() == 1
    assert (Notification.objects.count(), len(mail.outbox)) == (notices, emails)


@pytest.mark.django_db(transaction=True)
def test_a_second_run_waits_for_the_first_and_notifies_nothing(queued_report):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: two runs never overlap")
    matched, release = threading.Event(), threading.Event()

    def first_run() -> None:  # a match task that has matched but not committed yet
        try:
            with transaction.atomic():
                assert services.reports_match(report_ids=[queued_report]).created == 1
                matched.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert matched.wait(20)
        # The same task again: it waits for the first run's lock, then finds its match.
        threading.Timer(0.5, release.set).start()
        second = services.reports_match(report_ids=[queued_report])
    finally:
        release.set()
        thread.join(30)
    assert second.created == 0
    assert Match.objects.count() == 1
    assert not PendingMatch.objects.exists()
    assert Notification.objects.count() == len(mail.outbox) == 1  # alice, once


@pytest.mark.django_db(transaction=True)
def test_a_run_that_died_leaves_its_reports_to_the_next(queued_report):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: two runs never overlap")
    locked = threading.Event()

    def dying_run() -> None:  # holds the queue row, then its transaction is rolled back
        try:
            with transaction.atomic():
                PendingMatch.objects.select_for_update().get(report_id=queued_report)
                locked.set()
                time.sleep(0.5)
                raise RuntimeError("worker killed")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=dying_run)
    thread.start()
    assert locked.wait(20)
    assert match_reports_task.apply(args=[[queued_report]]).get() == 1  # waited, then matched
    thread.join(30)
    assert not PendingMatch.objects.exists()
    assert Notification.objects.count() == len(mail.outbox) == 1
