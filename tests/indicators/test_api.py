"""The REST API: bulk submission with per-row errors, lists and details within the audience."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from indicators.models import IPReport
from tests.embassies.factories import session_client, token_client

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    return token_client(user)


def _seen(hours=1):
    return (timezone.now() - timedelta(hours=hours)).isoformat()


@pytest.fixture
def alpha_secret(alice, kk_park, add_evidence, submit):
    add_evidence(kk_park, "45.12.64.0/22")
    return IPReport.objects.get(pk=submit(alice, "45.12.64.7", audience="owner").created[0])


def test_bulk_create_keeps_good_rows_and_names_bad_ones(
    alice, kk_park, add_evidence, django_capture_on_commit_callbacks
):
    add_evidence(kk_park, "45.12.64.0/22")
    rows = [
        {"address": "45.12.64.1", "seen_at": _seen(), "context": "chat"},
        {"address": "10.0.0.1", "seen_at": _seen(), "context": "chat"},
        {"address": "8.8.8.8", "seen_at": _seen(-1), "context": "chat"},
        {"address": "8.8.8.8", "seen_at": _seen(), "context": "sms"},
        {"address": "8.8.4.4", "seen_at": _seen(), "context": "chat", "port": 0},
        {"address": "nope", "seen_at": _seen(), "context": "chat"},
        {"address": "2606:4700::1111", "seen_at": _seen(), "context": "other", "port": 443},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(
            "/api/v1/ip-reports/",
            {"reports": rows, "tlp": "green", "audience": "police"},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created_count"] == 2
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (2, "address"),
        (3, "seen_at"),
        (4, "context"),
        (5, "port"),
        (6, "address"),
    ]
    first = api(alice).get(f"/api/v1/ip-reports/{body['created'][0]}/").json()
    assert first["match_state"] == "matched" and first["matches"][0]["compound"] == "KK Park"
    assert first["tlp"] == "green"


def test_bulk_duplicates_are_reported_not_stored(alice):
    row = {"address": "8.8.8.8", "seen_at": _seen(), "context": "chat"}
    client = api(alice)
    client.post("/api/v1/ip-reports/", {"reports": [row]}, format="json")
    response = client.post("/api/v1/ip-reports/", {"reports": [row, row]}, format="json")
    assert response.status_code == 200
    assert [d["reason"] for d in response.json()["duplicates"]] == ["already reported"] * 2
    assert IPReport.objects.count() == 1


def test_more_than_ten_thousand_is_a_clear_400(alice):
    rows = [{"address": "8.8.8.8", "seen_at": _seen(), "context": "chat"}] * 10_001
    response = api(alice).post("/api/v1/ip-reports/", {"reports": rows}, format="json")
    assert response.status_code == 400
    assert "At most 10000" in str(response.json())
    assert not IPReport.objects.exists()


def test_malformed_bodies_are_400(alice):
    client = api(alice)
    for body in ({}, {"reports": []}, {"reports": "8.8.8.8"}, {"reports": [1, 2]}):
        assert client.post("/api/v1/ip-reports/", body, format="json").status_code == 400


def test_non_officers_get_403(platform_admin, outsider):
    row = {"address": "8.8.8.8", "seen_at": _seen(), "context": "chat"}
    # An account without a role holds no API token: it comes in by a verified session.
    for client in (api(platform_admin), session_client(outsider)):
        assert (
            client.post("/api/v1/ip-reports/", {"reports": [row]}, format="json").status_code == 403
        )


def test_bravo_cannot_see_alphas_owner_only_report(alpha_secret, bob, analyst, alice, kk_park):
    client = api(bob)
    detail = client.get(f"/api/v1/ip-reports/{alpha_secret.pk}/")
    missing = client.get(f"/api/v1/ip-reports/{alpha_secret.pk + 999}/")
    assert detail.status_code == missing.status_code == 404
    assert detail.json() == missing.json()
    assert client.get("/api/v1/ip-reports/").json()["count"] == 0
    assert client.get("/api/v1/ip-matches/").json()["count"] == 0
    assert client.get(f"/api/v1/ip-matches/?compound={kk_park.pk}&withdrawn=1").json()["count"] == 0
    assert api(analyst).get("/api/v1/ip-matches/").json()["count"] == 0
    assert api(alice).get("/api/v1/ip-matches/").json()["count"] == 1
    assert api(alice).get("/api/v1/ip-reports/?mine=1").json()["count"] == 1


def test_shared_report_is_visible_to_police(alice, analyst, submit):
    submit(alice, "8.8.8.8")
    assert api(analyst).get("/api/v1/ip-reports/").json()["count"] == 1


def test_catalogue_api(alice, outsider, kk_park, add_evidence):
    add_evidence(kk_park, "45.12.64.0/22")
    client = api(alice)
    assert client.get("/api/v1/compounds/").json()["results"][0]["name"] == "KK Park"
    assert client.get(f"/api/v1/compounds/{kk_park.pk}/").json()["evidence_count"] == 1
    assert (
        client.get("/api/v1/compound-evidence/").json()["results"][0]["network"] == "45.12.64.0/22"
    )
    outsider_api = session_client(outsider)  # no role, so no API token: a verified session
    assert outsider_api.get(f"/api/v1/compounds/{kk_park.pk}/").status_code == 404
    assert outsider_api.get("/api/v1/compound-evidence/").json()["count"] == 0


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_endpoints_query_count_is_constant(alice, kk_park, add_evidence, submit, bravo):
    add_evidence(kk_park, "45.12.64.0/22")
    client = api(alice)
    urls = [
        "/api/v1/ip-reports/",
        "/api/v1/ip-matches/",
        "/api/v1/compounds/",
        "/api/v1/compound-evidence/",
    ]
    submit(alice, "45.12.64.1", audience="named", workspaces=[bravo])
    client.get("/api/v1/me/")  # the token's first use records last_used_at (once a minute)
    before = [_count(client, u) for u in urls]
    submit(alice, *[f"45.12.64.{i}" for i in range(10, 25)], audience="named", workspaces=[bravo])
    add_evidence(kk_park, "45.12.70.0/24")
    assert [_count(client, u) for u in urls] == before
