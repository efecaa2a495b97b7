"""The victims pages: who sees what, what gets audited, and bad input."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.csp import inline_code
from tests.oracle import fingerprint
from victims import audit, services
from victims.choices import AccessAction, VictimStatus
from victims.models import AccessEvent, VictimRecord

from .factories import FAMILY, NAME, PASSPORT, screened, victim

MISSING = 999999


def _events(action, **kw):
    return list(AccessEvent.objects.filter(action=action, **kw).order_by("seq"))


def test_detail_shows_identity_to_the_audience_and_logs_a_view(as_user, alice, analyst, record):
    for user in (alice, analyst):
        page = as_user(user).get(
            reverse("victims:detail", args=[record.pk]), REMOTE_ADDR="10.9.8.7"
        )
        assert page.status_code == 200
        assert NAME in page.content.decode() and PASSPORT in page.content.decode()
    views = _events(AccessAction.VIEW, record=record)
    assert [(e.actor, e.ip) for e in views] == [(alice, "10.9.8.7"), (analyst, "10.9.8.7")]
    assert audit.chain_verify().ok


@pytest.mark.parametrize(
    "name", ["detail", "referral", "transition", "edit", "screening", "consent", "audience"]
)
def test_outside_the_audience_is_the_same_404_as_missing(as_user, bob, analyst, owner_only, name):
    for user in (bob, analyst):
        client = as_user(user)
        hidden_url = reverse(f"victims:{name}", args=[owner_only.pk])
        missing_url = reverse(f"victims:{name}", args=[MISSING])
        hidden, missing = client.get(hidden_url), client.get(missing_url)
        assert hidden.status_code == 404
        assert fingerprint(hidden, hidden_url) == fingerprint(missing, missing_url)
    assert (
        not AccessEvent.objects.filter(record=owner_only)
        .exclude(action=AccessAction.CHANGE)
        .exists()
    )


@pytest.mark.parametrize("name", ["transition", "edit", "screening", "consent", "audience"])
def test_audience_members_who_are_not_owners_cannot_write(as_user, analyst, record, name):
    assert as_user(analyst).get(reverse(f"victims:{name}", args=[record.pk])).status_code == 403


def test_list_shows_my_records_without_names_in_constant_queries(as_user, alice, bob, record):
    client = as_user(alice)
    url = reverse("victims:list")
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert record.reference in page.content.decode()
    assert NAME not in page.content.decode()
    for i in range(4):
        victim(alice, given_name=f"N{i}")
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five) == len(one)
    assert record.reference not in as_user(bob).get(url).content.decode()
    assert record.reference not in as_user(bob).get(reverse("victims:shared")).content.decode()


def test_police_list_for_analysts_only(as_user, alice, analyst, record, owner_only):
    page = as_user(analyst).get(reverse("victims:police"), {"status": "reported_missing"})
    body = page.content.decode()
    assert record.reference in body and owner_only.reference not in body
    assert as_user(alice).get(reverse("victims:police")).status_code == 403


def test_create_page_and_bad_input(as_user, alice):
    client = as_user(alice)
    bad = client.post(reverse("victims:create"), {"date_of_birth": "not-a-date", "sex": "x"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    empty = client.post(reverse("victims:create"), {"sex": "unknown", "age_band": "unknown"})
    assert "at least a name" in empty.content.decode()
    ok = client.post(
        reverse("victims:create"),
        {"given_name": "Pagey", "passport_number": "PP 1", "sex": "female", "age_band": "18_24"},
    )
    record = VictimRecord.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("victims:detail", args=[record.pk])
    assert record.given_name == "Pagey" and record.tlp == "amber+strict"


def test_transition_page_moves_and_refuses(as_user, alice, record):
    client = as_user(alice)
    url = reverse("victims:transition", args=[record.pk])
    form = client.get(url).content.decode()
    assert 'value="located"' in form and 'value="home"' not in form
    refused = client.post(url, {"to_status": "home"})
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    moved = client.post(url, {"to_status": "located", "located_compound": "KK Park"})
    assert moved.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.located_compound) == (VictimStatus.LOCATED, "KK Park")
    assert _events(AccessAction.CHANGE, record=record)[-1].detail == "→ located"


def test_screening_page(as_user, alice, record):
    services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.RESCUED_OR_RELEASED
    )
    url = reverse("victims:screening", args=[record.pk])
    client = as_user(alice)
    page = client.get(url).content.decode()
    assert "forced_criminality" in page
    response = client.post(
        url,
        {
            "interview_date": "2026-01-05",
            "place": "Mae Sot",
            "screening_officer": "A",
            "indicators": ["debt_bondage", "isolation"],
            "outcome": "undetermined",
            "outcome_reason": "Needs a second interview",
        },
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == VictimStatus.UNDETERMINED
    assert record.screenings.get().indicators == ["debt_bondage", "isolation"]


def test_audience_page_consent_gate(as_user, alice, bravo, record):
    client = as_user(alice)
    url = reverse("victims:audience", args=[record.pk])
    refused = client.post(url, {"tlp": "amber", "audience": "named", "shared_with": [bravo.pk]})
    assert refused.status_code == 200
    assert "Record the person" in refused.content.decode()
    assert not record.shared_with.exists()
    consent = client.post(reverse("victims:consent", args=[record.pk]), {"consent_given": "on"})
    assert consent.status_code == 302
    ok = client.post(url, {"tlp": "amber", "audience": "named", "shared_with": [bravo.pk]})
    assert ok.status_code == 302
    assert list(record.shared_with.all()) == [bravo]


def test_referral_form_is_printable_stamped_and_audited(as_user, alice, record):
    screened(alice, record)
    page = as_user(alice).get(reverse("victims:referral", args=[record.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "TLP:AMBER+STRICT" in body and NAME in body and "Outcome" in body
    assert inline_code(body) == []
    assert [e.actor for e in _events(AccessAction.PRINT, record=record)] == [alice]


def test_export_is_audited_per_record_and_within_the_audience(
    as_user, alice, bob, analyst, record, owner_only
):
    body = as_user(alice).get(reverse("victims:export")).content.decode()
    assert NAME in body and record.reference in body and owner_only.reference in body
    assert {e.record_id for e in _events(AccessAction.EXPORT)} == {record.pk, owner_only.pk}
    analyst_csv = as_user(analyst).get(reverse("victims:export")).content.decode()
    assert record.reference in analyst_csv and owner_only.reference not in analyst_csv
    assert NAME not in analyst_csv  # identity only to the owner workspace in exports
    bob_csv = as_user(bob).get(reverse("victims:export")).content.decode()
    assert record.reference not in bob_csv and owner_only.reference not in bob_csv
    assert not AccessEvent.objects.filter(actor=bob).exists()


def test_passport_search_audits_each_hit(as_user, alice, bob, record):
    twin = victim(alice, given_name="Twin")  # same passport number
    page = as_user(alice).post(reverse("victims:search"), {"passport": "p1234-567x"})
    assert record.reference in page.content.decode() and twin.reference in page.content.decode()
    assert {e.record_id for e in _events(AccessAction.SEARCH_HIT)} == {record.pk, twin.pk}
    miss = as_user(bob).post(reverse("victims:search"), {"passport": PASSPORT})
    assert record.reference not in miss.content.decode()
    assert not AccessEvent.objects.filter(actor=bob).exists()


def test_stats_count_only_the_audience(as_user, alice, bob, analyst, record, owner_only):
    def total(user):
        return as_user(user).get(reverse("victims:stats")).context["stats"].total

    assert (total(alice), total(analyst), total(bob)) == (2, 1, 0)
    assert FAMILY not in as_user(alice).get(reverse("victims:stats")).content.decode()


def test_access_log_page_for_the_owner_admin_only(
    as_user, alice, alpha_admin, bravo_admin, analyst, record
):
    as_user(analyst).get(reverse("victims:detail", args=[record.pk]))
    page = as_user(alpha_admin).get(reverse("victims:access_log"))
    body = page.content.decode()
    assert page.status_code == 200 and analyst.email in body
    other = as_user(bravo_admin).get(reverse("victims:access_log"))
    assert analyst.email not in other.content.decode()
    assert as_user(alice).get(reverse("victims:access_log")).status_code == 403


def test_edit_page_logs_a_view_and_a_change(as_user, alice, record):
    client = as_user(alice)
    url = reverse("victims:edit", args=[record.pk])
    assert NAME in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "given_name": "Renamed",
            "family_name": FAMILY,
            "passport_number": PASSPORT,
            "date_of_birth": "1999-04-05",
            "phone": "+63 900 000 0001",
            "family_contact": "Mother, +63 900 000 0002",
            "nationality": "PH",
            "sex": "unknown",
            "age_band": "unknown",
            "reported_missing_on": record.reported_missing_on.isoformat(),
        },
    )
    assert response.status_code == 302
    assert VictimRecord.objects.get(pk=record.pk).given_name == "Renamed"
    change = _events(AccessAction.CHANGE, record=record)[-1]
    assert change.detail == "edited: given_name"
    assert _events(AccessAction.VIEW, record=record)[-1].detail == "edit form"


def test_home_and_nav_links(as_user, alice, analyst):
    assert reverse("victims:list") in as_user(alice).get("/").content.decode()
    assert reverse("victims:police") in as_user(analyst).get("/").content.decode()


def test_future_dates_are_refused_on_the_page(as_user, alice):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    page = as_user(alice).post(
        reverse("victims:create"),
        {"given_name": "F", "date_of_birth": future, "sex": "unknown", "age_band": "unknown"},
    )
    assert page.status_code == 200 and "future" in page.content.decode()
