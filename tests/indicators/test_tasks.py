"""Matching through the Celery tasks: correctness, windows, warn-list, idempotency, sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from indicators import services
from indicators.models import IPReport, Match
from indicators.tasks import match_reports_task, rematch_for_evidence_task, sweep_unmatched_task
from sharing.models import Notification

pytestmark = pytest.mark.django_db


def _report(result) -> IPReport:
    assert result.created, (result.errors, result.duplicates)
    return IPReport.objects.get(pk=result.created[0])


def _compounds(report: IPReport) -> list[str]:
    return sorted(m.compound.name for m in report.matches.active().select_related("compound"))


def test_ipv4_prefix_match_is_stored_with_its_evidence(alice, kk_park, add_evidence, submit):
    evidence = add_evidence(kk_park, "45.12.64.0/22", source="press report", confidence=70)
    report = _report(submit(alice, "45.12.65.9"))
    assert report.match_state == "matched"
    (match,) = report.matches.all()
    assert (match.compound, match.evidence, match.kind) == (kk_park, evidence, "prefix")
    assert match.matched_network == "45.12.64.0/22"
    assert match.confidence == 70 and not match.weak


def test_address_outside_every_prefix_is_no_match(alice, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22")
    report = _report(submit(alice, "45.12.68.1"))
    assert report.match_state == "no_match"
    assert not report.matches.exists()


def test_ipv6_and_long_prefixes(alice, kk_park, shwe_kokko, add_evidence, submit):
    add_evidence(kk_park, "2a0d:5600:1::/48")
    add_evidence(shwe_kokko, "2a0d:5600:1:2:3::/80")
    inner = _report(submit(alice, "2a0d:5600:1:2:3::77"))
    outer = _report(submit(alice, "2a0d:5600:1:9::1"))
    assert _compounds(inner) == ["KK Park", "Shwe Kokko"]
    assert _compounds(outer) == ["KK Park"]


def test_ipv4_mapped_ipv6_is_matched_as_ipv4(alice, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22")
    report = _report(submit(alice, "::ffff:45.12.64.10"))
    assert report.address == "45.12.64.10" and report.family == 4
    assert _compounds(report) == ["KK Park"]


def test_nested_prefixes_each_give_a_match(alice, kk_park, shwe_kokko, add_evidence, submit):
    add_evidence(kk_park, "45.12.0.0/16")
    add_evidence(shwe_kokko, "45.12.64.0/24")
    report = _report(submit(alice, "45.12.64.1"))
    assert sorted(report.matches.values_list("matched_network", flat=True)) == [
        "45.12.0.0/16",
        "45.12.64.0/24",
    ]


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(seconds=-1), "no_match"),  # just before valid_from
        (timedelta(0), "matched"),  # exactly valid_from: inclusive
        (timedelta(days=5), "matched"),
        (timedelta(days=10) - timedelta(microseconds=1), "matched"),
        (timedelta(days=10), "no_match"),  # exactly valid_to: exclusive
    ],
)
def test_window_edges(alice, kk_park, add_evidence, submit, offset, expected):
    start = (timezone.now() - timedelta(days=30)).replace(microsecond=0)
    add_evidence(kk_park, "45.12.64.0/22", valid_from=start, valid_to=start + timedelta(days=10))
    report = _report(submit(alice, {"address": "45.12.64.1", "seen_at": start + offset}))
    assert report.match_state == expected


def test_open_ended_windows(alice, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22", valid_from=timezone.now() - timedelta(days=1))
    old = _report(
        submit(alice, {"address": "45.12.64.1", "seen_at": timezone.now() - timedelta(days=2)})
    )
    new = _report(submit(alice, "45.12.64.1"))
    assert (old.match_state, new.match_state) == ("no_match", "matched")


def test_asn_evidence_matches_by_as_organisation(alice, kk_park, add_evidence, submit):
    # 103.25.12.1 is Myanma Posts and Telecommunications in the bundled enrichment data.
    add_evidence(kk_park, as_org="myanma posts and telecommunications", confidence=40)
    report = _report(submit(alice, "103.25.12.1"))
    (match,) = report.matches.all()
    assert match.kind == "asn" and match.confidence == 40


def test_warn_list_downgrades_to_weak_with_the_reason(
    alice, kk_park, add_evidence, add_warn, submit
):
    add_evidence(kk_park, "45.12.64.0/22", confidence=80)
    add_warn("45.12.0.0/16", category="cgnat", reason="carrier-grade NAT pool of an ISP")
    report = _report(submit(alice, "45.12.64.1"))
    (match,) = report.matches.all()
    assert match.weak and match.warn_category == "cgnat"
    assert match.warn_reason == "carrier-grade NAT pool of an ISP"
    assert match.confidence == 40


def test_satellite_space_needs_more_than_the_asn(
    alice, kk_park, shwe_kokko, add_evidence, add_warn, submit
):
    # 98.97.0.1 is SPACEX-STARLINK in the bundled data.
    add_warn(asn=14593, as_org="SPACEX-STARLINK", category="satellite", reason="Starlink")
    add_evidence(kk_park, as_org="SPACEX-STARLINK")
    add_evidence(shwe_kokko, as_org="SPACEX-STARLINK")
    add_evidence(shwe_kokko, "98.97.0.0/24")
    report = _report(submit(alice, "98.97.0.1"))
    # KK Park has only the ASN: dropped. Shwe Kokko has a prefix too: kept, both weak.
    assert _compounds(report) == ["Shwe Kokko", "Shwe Kokko"]
    assert all(m.weak and m.warn_category == "satellite" for m in report.matches.all())
    alone = _report(submit(alice, "98.97.1.1"))
    assert alone.match_state == "no_match"


def test_task_run_twice_creates_nothing_twice(alice, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22")
    report = _report(submit(alice, "45.12.64.1"))
    notices = Notification.objects.count()
    assert match_reports_task.apply(args=[[report.pk]]).get() == 0
    # Even forced (state back to pending), the reconciliation inserts nothing new.
    services.reports_mark_pending(report_ids=[report.pk])
    match_reports_task.apply(args=[[report.pk]]).get()
    services.reports_match(report_ids=[report.pk])
    assert Match.objects.filter(report=report).count() == 1
    assert Notification.objects.count() == notices


def test_match_notifies_owner_and_police_only(
    alice, bob, analyst, alpha_admin, kk_park, add_evidence, submit
):
    add_evidence(kk_park, "45.12.64.0/22")
    report = _report(submit(alice, "45.12.64.1"))
    recipients = set(
        Notification.objects.filter(kind="ip_match").values_list("recipient__email", flat=True)
    )
    assert recipients == {alice.email, alpha_admin.email, analyst.email}
    owner_only = _report(submit(alice, "45.12.64.2", audience="owner"))
    assert not Notification.objects.filter(
        recipient=analyst, url__contains=f"/{owner_only.pk}/"
    ).exists()
    assert not Notification.objects.filter(recipient=bob).exists()
    assert report.pk


def test_catalogue_edit_rematches_and_keeps_history(
    alice, kk_park, shwe_kokko, add_evidence, submit, curator, django_capture_on_commit_callbacks
):
    evidence = add_evidence(kk_park, "45.12.64.0/22")
    inside = _report(submit(alice, "45.12.64.1"))
    later = _report(submit(alice, "45.12.70.1"))
    assert (inside.match_state, later.match_state) == ("matched", "no_match")

    # The prefix moves: the old match is withdrawn, the other report now matches.
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_save(
            actor=curator,
            compound=kk_park,
            evidence=evidence,
            kind="prefix",
            network="45.12.70.0/24",
        )
    inside.refresh_from_db()
    later.refresh_from_db()
    (old,) = inside.matches.all()
    assert old.withdrawn_at and "no longer applies" in old.withdrawn_reason
    assert inside.match_state == "no_match" and later.match_state == "matched"

    # New evidence: a new match appears.
    with django_capture_on_commit_callbacks(execute=True):
        added = add_evidence(shwe_kokko, "45.12.64.0/24")
    inside.refresh_from_db()
    assert inside.match_state == "matched" and _compounds(inside) == ["Shwe Kokko"]

    # Evidence removed: its match is withdrawn, kept as history.
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=curator, evidence=added)
    inside.refresh_from_db()
    assert inside.match_state == "no_match"
    assert inside.matches.count() == 2 and not inside.matches.active().exists()
    assert inside.matches.filter(withdrawn_reason=services.EVIDENCE_REMOVED).count() == 1


def test_confidence_change_supersedes_the_match(
    alice, kk_park, add_evidence, submit, curator, django_capture_on_commit_callbacks
):
    evidence = add_evidence(kk_park, "45.12.64.0/22", confidence=50)
    report = _report(submit(alice, "45.12.64.1"))
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_save(actor=curator, compound=kk_park, evidence=evidence, confidence=90)
    assert list(report.matches.active().values_list("confidence", flat=True)) == [90]
    assert report.matches.filter(withdrawn_reason__contains="superseded").count() == 1
    # Saving the same values again changes nothing.
    version = services.catalogue_version()
    services.evidence_save(actor=curator, compound=kk_park, evidence=evidence, confidence=90)
    assert services.catalogue_version() == version


def test_rematch_for_evidence_task(alice, kk_park, add_evidence, submit):
    report = _report(submit(alice, "45.12.64.1"))
    assert report.match_state == "no_match"
    evidence = add_evidence(kk_park, "45.12.64.0/22")  # on_commit not run: nothing queued
    assert rematch_for_evidence_task.apply(args=[evidence.pk]).get() == 1
    report.refresh_from_db()
    assert report.match_state == "matched"


def test_sweep_matches_everything_left_pending(alice, kk_park, add_evidence):
    add_evidence(kk_park, "45.12.64.0/22")
    # Saved without running the commit hooks: as if the broker had been down.
    result = services.ip_report_submit_batch(
        actor=alice,
        rows=[
            {"row": 1, "address": "45.12.64.1", "seen_at": timezone.now(), "context": "chat"},
            {"row": 2, "address": "8.8.8.8", "seen_at": timezone.now(), "context": "chat"},
        ],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    assert {r.match_state for r in IPReport.objects.with_state()} == {"pending"}
    assert sweep_unmatched_task.apply().get() == 2
    states = {r.address: r.match_state for r in IPReport.objects.with_state()}
    assert states == {"45.12.64.1": "matched", "8.8.8.8": "no_match"}
    assert len(result.created) == 2


def test_index_is_cached_per_catalogue_version(kk_park, add_evidence):
    add_evidence(kk_park, "45.12.64.0/22")
    first = services.catalogue_compiled()
    assert services.catalogue_compiled() is first
    add_evidence(kk_park, "45.12.70.0/24")
    assert services.catalogue_compiled() is not first


def test_full_batch_query_count_is_independent_of_size(
    alice, kk_park, add_evidence, submit, django_assert_max_num_queries
):
    add_evidence(kk_park, "45.12.0.0/16")
    rows = [{"address": f"45.12.{i // 250}.{i % 250 + 1}"} for i in range(500)]
    result = services.ip_report_submit_batch(
        actor=alice,
        rows=[
            {"row": n, "seen_at": timezone.now(), "context": "chat", **r}
            for n, r in enumerate(rows, 1)
        ],
        tlp="amber",
        police_access=False,
        shared_with_all=False,
    )
    services.catalogue_compiled()
    with django_assert_max_num_queries(20):
        services.reports_match(report_ids=result.created)
    assert Match.objects.count() == 500
    assert connection.vendor in ("sqlite", "postgresql")


def test_warn_list_change_rematches_existing_reports(
    alice, kk_park, add_evidence, add_warn, submit, django_capture_on_commit_callbacks
):
    add_evidence(kk_park, "45.12.64.0/22")
    report = _report(submit(alice, "45.12.64.1"))
    assert not report.matches.get().weak
    with django_capture_on_commit_callbacks(execute=True):
        add_warn("45.12.64.0/24", category="vpn", reason="VPN exit nodes")
    active = report.matches.active().get()
    assert active.weak and active.warn_reason == "VPN exit nodes"
    assert report.matches.filter(withdrawn_at__isnull=False).count() == 1


def test_a_report_requeued_during_a_run_stays_queued(alice, kk_park, add_evidence):
    from indicators.models import PendingMatch

    result = services.ip_report_submit_batch(
        actor=alice,
        rows=[{"row": 1, "address": "45.12.64.1", "seen_at": timezone.now(), "context": "chat"}],
        tlp="amber",
        police_access=True,
        shared_with_all=False,
    )
    # As if a catalogue change re-queued it after this run had read the catalogue.
    PendingMatch.objects.update(queued_at=timezone.now() + timedelta(seconds=30))
    services.reports_match(report_ids=result.created)
    assert PendingMatch.objects.filter(report_id=result.created[0]).exists()
    assert sweep_unmatched_task.apply().get() == 1


def test_a_matching_batch_sends_one_digest_per_audience(
    alice, bob, analyst, kk_park, add_evidence, submit
):
    add_evidence(kk_park, "45.12.64.0/22")
    submit(alice, "45.12.64.1", "45.12.64.2", "45.12.64.3", "8.8.8.8")
    notices = Notification.objects.filter(recipient=alice)
    assert [(n.title, n.url) for n in notices] == [
        ("3 IP reports matched known scam compounds", "/ip/matches/")
    ]
    assert Notification.objects.filter(recipient=analyst).count() == 1
    assert not Notification.objects.filter(recipient=bob).exists()
