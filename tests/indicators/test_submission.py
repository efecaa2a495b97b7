"""Submitting reports: per-row errors, duplicates, limits, and a broker that is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from indicators import services
from indicators.models import IPReport
from indicators.tasks import sweep_unmatched_task

pytestmark = pytest.mark.django_db

BAD_ROWS = [
    ({"address": "not-an-ip"}, "not an IP address"),
    ({"address": "10.1.2.3"}, "private"),
    ({"address": "192.168.0.1"}, "private"),
    ({"address": "127.0.0.1"}, "loopback"),
    ({"address": "169.254.1.1"}, "link-local"),
    ({"address": "224.0.0.1"}, "multicast"),
    ({"address": "192.0.2.10"}, "documentation"),
    ({"address": "2001:db8::1"}, "documentation"),
    ({"address": "100.64.1.1"}, "carrier-grade NAT"),
    ({"address": "0.0.0.0"}, "unspecified"),
    ({"address": "240.0.0.1"}, "reserved"),
    ({"address": "fe80::1%eth0"}, "zone"),
    ({"address": "8.8.8.8", "seen_at": "tomorrow"}, "not a date"),
    ({"address": "8.8.8.8", "seen_at": "2026-01-01T10:00:00"}, "time zone"),
    ({"address": "8.8.8.8", "seen_at": timezone.now() + timedelta(hours=1)}, "future"),
    ({"address": "8.8.8.8", "context": "phishing"}, "unknown context"),
    ({"address": "8.8.8.8", "port": "70000"}, "bad port"),
    ({"address": "8.8.8.8", "port": "http"}, "bad port"),
]


def _rows(*rows):
    base = {"seen_at": timezone.now() - timedelta(hours=2), "context": "chat"}
    return [{"row": n, **base, **row} for n, row in enumerate(rows, start=1)]


def _submit(user, rows, **kw):
    return services.ip_report_submit_batch(
        actor=user, rows=rows, tlp="amber", police_access=True, shared_with_all=False, **kw
    )


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_each_bad_row_gets_its_reason_and_good_rows_are_kept(alice, row, reason):
    result = _submit(alice, _rows({"address": "8.8.4.4"}, row, {"address": "2606:4700::1111"}))
    assert len(result.created) == 2
    (problem,) = result.errors
    assert problem.row == 2 and reason in problem.reason
    assert set(IPReport.objects.values_list("address", flat=True)) == {"8.8.4.4", "2606:4700::1111"}


def test_small_clock_skew_is_allowed(alice):
    result = _submit(
        alice, _rows({"address": "8.8.8.8", "seen_at": timezone.now() + timedelta(minutes=2)})
    )
    assert result.created and not result.errors


def test_same_report_twice_is_stored_once(alice):
    seen = (timezone.now() - timedelta(hours=1)).isoformat()
    row = {"address": "8.8.8.8", "seen_at": seen, "context": "chat"}
    first = _submit(alice, _rows(row, row))
    assert len(first.created) == 1 and first.duplicates[0].row == 2
    again = _submit(alice, _rows(row, {**row, "context": "scam_call"}))
    assert len(again.created) == 1 and again.duplicates[0].reason == "already reported"
    assert IPReport.objects.count() == 2


def test_normalised_forms_are_duplicates(alice):
    seen = timezone.now() - timedelta(hours=1)
    result = _submit(
        alice,
        _rows(
            {"address": "2606:4700:0::1111", "seen_at": seen},
            {"address": "2606:4700::1111", "seen_at": seen},
        ),
    )
    assert len(result.created) == 1 and len(result.duplicates) == 1


def test_other_workspace_may_report_the_same_sighting(alice, bob):
    seen = timezone.now() - timedelta(hours=1)
    assert _submit(alice, _rows({"address": "8.8.8.8", "seen_at": seen})).created
    assert _submit(bob, _rows({"address": "8.8.8.8", "seen_at": seen})).created


def test_enrichment_is_stored(alice):
    result = _submit(alice, _rows({"address": "98.97.0.1"}, {"address": "1.46.0.1"}))
    reports = {r.address: r for r in IPReport.objects.filter(pk__in=result.created)}
    assert reports["98.97.0.1"].as_org == "SPACEX-STARLINK"
    assert reports["1.46.0.1"].geo_country == "TH"
    assert "GeoLite2" in reports["1.46.0.1"].enrichment_source


def test_more_than_ten_thousand_rows_are_refused(alice):
    with pytest.raises(ValidationError, match="At most 10000"):
        _submit(alice, _rows(*[{"address": "8.8.8.8"}] * 10_001))


def test_only_officers_submit(outsider, platform_admin):
    for user in (outsider, platform_admin):
        with pytest.raises(PermissionDenied):
            _submit(user, _rows({"address": "8.8.8.8"}))


def test_tlp_red_cannot_go_to_everyone(alice):
    with pytest.raises(ValidationError):
        services.ip_report_submit_batch(
            actor=alice,
            rows=_rows({"address": "8.8.8.8"}),
            tlp="red",
            police_access=True,
            shared_with_all=True,
        )


@pytest.fixture
def dead_broker(transactional_db, monkeypatch):
    """The app publishes to a closed port: a real connection failure, not a mock."""
    from exchange.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def reset_pools():
        # Forget the pools bound to the previous URL (without closing kombu's shared ones).
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    dead = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("CELERY_BROKER_URL", dead)  # Celery reads the variable before its conf
    app.conf.broker_url = dead
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        monkeypatch.undo()
        reset_pools()
        app.conf.broker_url, app.conf.task_always_eager = saved


def test_broker_down_keeps_the_report_and_the_sweep_matches_it(
    dead_broker, alice, kk_park, add_evidence, caplog
):
    add_evidence(kk_park, "45.12.64.0/22")
    result = _submit(alice, _rows({"address": "45.12.64.1"}))  # commits: transactional_db
    (report,) = IPReport.objects.filter(pk__in=result.created)
    assert report.match_state == "pending"
    assert "broker unavailable" in caplog.text
    dead_broker.conf.task_always_eager = True
    sweep_unmatched_task.apply().get()
    report.refresh_from_db()
    assert report.match_state == "matched"
