"""Match detail (page and API): why it matched, its history, within the report's audience."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from indicators import services
from indicators.models import IPReport, Match
from tests.embassies.factories import token_client
from tests.oracle import fingerprint

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    return token_client(user)


@pytest.fixture
def evidence(kk_park, add_evidence):
    return add_evidence(kk_park, "45.12.64.0/22", source="UNODC 2025 report", confidence=80)


@pytest.fixture
def secret_match(alice, evidence, submit):
    """alice's owner-only report, matched to KK Park."""
    report = IPReport.objects.get(pk=submit(alice, "45.12.64.7", audience="owner").created[0])
    return Match.objects.get(report=report)


def test_detail_shows_why_it_matched(alice, as_user, secret_match):
    browser = as_user(alice)
    url = reverse("indicators:match_detail", args=[secret_match.pk])
    text = browser.get(url).content.decode()
    for expected in ("45.12.64.7", "KK Park", "45.12.64.0/22", "UNODC 2025 report", "Active"):
        assert expected in text, expected
    report_page = browser.get(reverse("indicators:report_detail", args=[secret_match.report_id]))
    assert url in report_page.content.decode()
    assert url in browser.get(reverse("indicators:match_list")).content.decode()


def test_weak_match_shows_the_warn_list_reason(alice, as_user, evidence, add_warn, submit):
    add_warn("45.12.0.0/16", category="satellite", reason="Starlink ground station")
    submit(alice, "45.12.64.9")
    match = Match.objects.get()
    text = as_user(alice).get(reverse("indicators:match_detail", args=[match.pk])).content
    assert b"weak" in text and b"Starlink ground station" in text
    body = api(alice).get(reverse("api_ip_match", args=[match.pk])).json()
    assert body["weak"] is True and body["warn_reason"] == "Starlink ground station"
    assert body["confidence"] == 40


def test_withdrawn_match_keeps_its_history(
    alice, as_user, curator, secret_match, evidence, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_delete(actor=curator, evidence=evidence)
    secret_match.refresh_from_db()
    assert secret_match.withdrawn_at is not None
    text = as_user(alice).get(reverse("indicators:match_detail", args=[secret_match.pk]))
    assert services.EVIDENCE_REMOVED in text.content.decode()
    assert b"Withdrawn" in text.content
    body = api(alice).get(reverse("api_ip_match", args=[secret_match.pk])).json()
    assert body["withdrawn_reason"] == services.EVIDENCE_REMOVED
    assert body["evidence_source"] is None and body["evidence"] == "45.12.64.0/22"


def test_api_detail_fields(alice, secret_match, evidence):
    body = api(alice).get(reverse("api_ip_match", args=[secret_match.pk])).json()
    assert body["id"] == secret_match.pk and body["report"] == secret_match.report_id
    assert body["compound"] == "KK Park" and body["kind"] == "prefix"
    assert body["matched_network"] == "45.12.64.0/22" and body["evidence_id"] == evidence.pk
    assert body["evidence_source"] == "UNODC 2025 report" and body["report_context"] == "scam_call"


def test_hidden_from_bravo_and_police_like_a_missing_id(secret_match, bob, analyst, as_user):
    url = reverse("indicators:match_detail", args=[secret_match.pk])
    missing = reverse("indicators:match_detail", args=[secret_match.pk + 1000])
    for user in (bob, analyst):  # owner-only: not even the police see it
        browser = as_user(user)
        assert browser.get(url).status_code == 404
        assert fingerprint(browser.get(url), url) == fingerprint(browser.get(missing), missing)
        client = api(user)
        hidden = client.get(reverse("api_ip_match", args=[secret_match.pk]))
        absent = client.get(reverse("api_ip_match", args=[secret_match.pk + 1000]))
        assert hidden.status_code == absent.status_code == 404
        assert hidden.json() == absent.json()


def test_visible_to_the_audience(alice, bob, analyst, as_user, evidence, submit):
    submit(alice, "45.12.64.8", audience="police")
    match = Match.objects.get()
    url = reverse("indicators:match_detail", args=[match.pk])
    assert as_user(analyst).get(url).status_code == 200
    assert as_user(bob).get(url).status_code == 404
