"""The victims REST API: audience, audit, transitions, consent gate, stats, access log."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from victims.choices import AccessAction, VictimStatus
from victims.models import AccessEvent, VictimRecord

from .factories import NAME, PASSPORT, victim

BASE = "/api/v1/victims/"


def test_list_has_no_identity_and_stays_in_the_audience(
    as_user, alice, bob, analyst, record, owner_only
):
    data = as_user(alice).get(BASE).json()
    assert {r["id"] for r in data["results"]} == {record.pk, owner_only.pk}
    assert NAME not in str(data) and PASSPORT not in str(data)
    assert {r["id"] for r in as_user(analyst).get(BASE).json()["results"]} == {record.pk}
    assert as_user(bob).get(BASE).json()["count"] == 0
    assert {
        r["id"]
        for r in as_user(alice)
        .get(BASE, {"mine": "1", "status": "reported_missing"})
        .json()["results"]
    } == {record.pk, owner_only.pk}
    assert {r["id"] for r in as_user(analyst).get(BASE, {"police": "true"}).json()["results"]} == {
        record.pk
    }


def test_list_query_count_is_constant(as_user, alice, record):
    client = as_user(alice)
    with CaptureQueriesContext(connection) as one:
        client.get(BASE)
    for i in range(3):
        victim(alice, given_name=f"N{i}")
    with CaptureQueriesContext(connection) as four:
        assert client.get(BASE).json()["count"] == 4
    assert len(four) == len(one)


def test_detail_is_audited_and_hidden_is_the_same_404_as_missing(
    as_user, alice, bob, analyst, record, owner_only
):
    data = as_user(alice).get(f"{BASE}{record.pk}/", REMOTE_ADDR="192.0.2.5").json()
    assert (data["given_name"], data["passport_number"], data["tlp"]) == (
        NAME,
        PASSPORT,
        "amber+strict",
    )
    assert data["events"][0]["kind"] == "created"
    view = AccessEvent.objects.get(action=AccessAction.VIEW)
    assert (view.actor, view.ip, view.record_id) == (alice, "192.0.2.5", record.pk)
    for user in (bob, analyst):
        hidden = as_user(user).get(f"{BASE}{owner_only.pk}/")
        missing = as_user(user).get(f"{BASE}999999/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    assert AccessEvent.objects.filter(action=AccessAction.VIEW).count() == 1


def test_create_transition_screening_via_api(as_user, alice, analyst):
    client = as_user(alice)
    created = client.post(
        BASE,
        {"given_name": "Apiya", "passport_number": "AP-1", "nationality": "ph"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert "given_name" not in created.json()
    assert created.json()["tlp"] == "amber+strict" and created.json()["nationality"] == "PH"
    refused = client.post(
        f"{BASE}{pk}/transition/", {"to_status": "home"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "cannot move" in str(refused.json())
    for step in (
        {"to_status": "located", "located_compound": "KK Park"},
        {"to_status": "rescued_or_released"},
    ):
        assert (
            client.post(
                f"{BASE}{pk}/transition/", step, content_type="application/json"
            ).status_code
            == 200
        )
    screening = client.post(
        f"{BASE}{pk}/screening/",
        {
            "interview_date": "2026-01-05",
            "place": "Mae Sot",
            "screening_officer": "A",
            "indicators": ["forced_criminality"],
            "outcome": "identified_victim",
            "outcome_reason": "Clear indicators",
        },
        content_type="application/json",
    )
    assert screening.status_code == 201, screening.json()
    assert VictimRecord.objects.get(pk=pk).status == VictimStatus.IDENTIFIED_VICTIM
    # An audience member who is not the owner cannot write: 403, not 404.
    assert (
        as_user(analyst)
        .post(
            f"{BASE}{pk}/transition/",
            {"to_status": "closed", "note": "x"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"given_name": "X", "nationality": "ZZ"},
        {"given_name": "X", "date_of_birth": "yesterday"},
        {"given_name": "X", "sex": "robot"},
        {},
        {"given_name": "X", "audience": "named"},
    ],
)
def test_bad_create_input_is_a_400_naming_the_field(as_user, alice, payload):
    response = as_user(alice).post(BASE, payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert not VictimRecord.objects.exists()


def test_bad_transition_and_screening_input(as_user, alice, record):
    client = as_user(alice)
    assert (
        client.post(
            f"{BASE}{record.pk}/transition/",
            {"to_status": "teleported"},
            content_type="application/json",
        ).status_code
        == 400
    )
    bad = client.post(
        f"{BASE}{record.pk}/screening/",
        {"indicators": ["telepathy"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "indicators" in bad.json()


def test_consent_gate_via_api(as_user, alice, bravo, record):
    client = as_user(alice)
    wide = {"tlp": "amber", "audience": "all"}
    refused = client.post(f"{BASE}{record.pk}/audience/", wide, content_type="application/json")
    assert refused.status_code == 400 and "consent" in str(refused.json())
    ok = client.post(
        f"{BASE}{record.pk}/consent/",
        {"consent_given": False, "lawful_basis": "vital_interest", "lawful_basis_note": "Threat"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    shared = client.post(f"{BASE}{record.pk}/audience/", wide, content_type="application/json")
    assert shared.status_code == 200 and shared.json()["shared_with_all"]


def test_passport_search_via_api_is_audited(as_user, alice, bob, record):
    search = f"{BASE}search/"
    data = as_user(alice).post(search, {"passport": "p 1234 567 x"}, "application/json").json()
    assert [r["id"] for r in data] == [record.pk]
    assert AccessEvent.objects.filter(action=AccessAction.SEARCH_HIT, record=record).count() == 1
    assert as_user(bob).post(search, {"passport": PASSPORT}, "application/json").json() == []
    assert not AccessEvent.objects.filter(actor=bob).exists()


def test_passport_in_a_url_is_refused(as_user, alice, record):
    """A passport number in a query string would sit in plain text in every access log."""
    answer = as_user(alice).get(BASE, {"passport": PASSPORT})
    assert answer.status_code == 400 and "POST" in answer.json()["passport"][0]
    assert not AccessEvent.objects.filter(action=AccessAction.SEARCH_HIT).exists()


def test_stats_count_only_the_audience(as_user, alice, bob, analyst, record, owner_only):
    def stats(user):
        return as_user(user).get(f"{BASE}stats/").json()

    mine = stats(alice)
    assert mine["total"] == 2
    assert mine["by_status"] == [{"key": "reported_missing", "count": 2}]
    assert mine["by_nationality"] == [{"key": "PH", "count": 2}]
    assert len(mine["by_month"]) == 1
    assert stats(analyst)["total"] == 1
    assert stats(bob)["total"] == 0 and stats(bob)["by_status"] == []


def test_access_events_api_for_the_owner_admin(
    as_user, alice, alpha_admin, bravo_admin, analyst, record
):
    as_user(analyst).get(f"{BASE}{record.pk}/")
    url = f"{BASE}access-events/"
    rows = as_user(alpha_admin).get(url, {"record": record.pk}).json()["results"]
    assert [r["action"] for r in rows][:1] == ["view"] and rows[0]["actor"] == analyst.email
    assert as_user(bravo_admin).get(url).json()["count"] == 0
    assert as_user(alice).get(url).json()["count"] == 0
    assert as_user(analyst).get(url).json()["count"] == 0


def test_anonymous_is_refused(client, record):
    assert client.get(BASE).status_code in (401, 403)
