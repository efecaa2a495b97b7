"""The leads API: filtering, pagination, actions, the same 404 for hidden, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Lead

from .factories import KBANK, make_lead

API = "/api/v1"


def test_create_and_detail(alice, as_user):
    client = as_user(alice)
    response = client.post(
        f"{API}/leads/",
        {
            "kind": "handle",
            "fields": {"platform": "Telegram", "handle": "https://t.me/Boss_X"},
            "reliability": "C",
            "grade": "3",
            "description": "recruiter",
            "audience": "police",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == "telegram:boss_x" and body["status"] == "new"
    assert body["history"][0]["action"] == "submitted"
    assert body["correlation"] == {"visible": [], "hidden_workspaces": 0}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "phone", "fields": {"number": "12"}}, "number"),
        (
            {"kind": "bank_account", "fields": {"bank": "KBank", "account_number": "1"}},
            "account_number",
        ),
        ({"kind": "ip", "fields": {"address": "10.1.2.3"}}, "address"),
        ({"kind": "spaceship", "fields": {}}, "kind"),
        ({"kind": "phone", "fields": "not a dict"}, "fields"),
    ],
)
def test_create_bad_value_is_400_naming_the_field(payload, field, alice, as_user):
    response = as_user(alice).post(
        f"{API}/leads/",
        {"reliability": "B", "grade": "2", **payload},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Lead.objects.exists()


def test_list_filters_and_paginates(alice, as_user):
    for _ in range(3):
        make_lead(alice)
    target = make_lead(alice, fields={"number": "081 234 5678"})
    make_lead(alice, kind="bank_account", fields=dict(KBANK))
    client = as_user(alice)
    page = client.get(f"{API}/leads/?limit=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert client.get(f"{API}/leads/?kind=bank_account").json()["count"] == 1
    found = client.get(f"{API}/leads/?q=%2B66 81 234 5678").json()
    assert [r["id"] for r in found["results"]] == [target.pk]
    assert client.get(f"{API}/leads/?status=rejected").json()["count"] == 0
    assert client.get(f"{API}/leads/?kind=bogus").status_code == 400


def test_hidden_lead_is_absent_and_404_like_missing(owner_only, bob, analyst, as_user):
    for user in (bob, analyst):
        client = as_user(user)
        assert client.get(f"{API}/leads/").json()["count"] == 0
        assert client.get(f"{API}/leads/search/?q={owner_only.key[1:]}").json()["count"] == 0
        hidden = client.get(f"{API}/leads/{owner_only.pk}/")
        missing = client.get(f"{API}/leads/999999/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        for action in ("transition", "comment", "assign"):
            response = client.post(f"{API}/leads/{owner_only.pk}/{action}/", {})
            assert response.status_code == 404
        response = client.post(f"{API}/freeze-requests/", {"lead": owner_only.pk})
        assert response.status_code == 404


def test_transition_comment_assign(lead, alice, analyst, analyst2, as_user):
    client = as_user(analyst)
    ok = client.post(f"{API}/leads/{lead.pk}/transition/", {"to_status": "under_review"})
    assert ok.status_code == 200 and ok.json()["status"] == "under_review"
    bad = client.post(f"{API}/leads/{lead.pk}/transition/", {"to_status": "actioned"})
    assert bad.status_code == 400 and "status" in bad.json()
    forbidden = as_user(alice).post(
        f"{API}/leads/{lead.pk}/transition/", {"to_status": "actionable"}
    )
    assert forbidden.status_code == 403
    assert client.post(f"{API}/leads/{lead.pk}/comment/", {"text": "hi"}).status_code == 201
    assigned = client.post(f"{API}/leads/{lead.pk}/assign/", {"assignee": analyst2.email})
    assert assigned.status_code == 200 and assigned.json()["assignee"] == analyst2.email
    detail = as_user(alice).get(f"{API}/leads/{lead.pk}/").json()
    assert [c["text"] for c in detail["comments"]] == ["hi"]
    assert [e["action"] for e in detail["history"]] == [
        "submitted",
        "status",
        "comment",
        "assigned",
    ]


def test_review_queue_api(lead, alice, analyst, as_user):
    assert as_user(analyst).get(f"{API}/leads/review-queue/").json()["count"] == 1
    assert as_user(alice).get(f"{API}/leads/review-queue/").json()["count"] == 0


def test_freeze_requests_api(mule, analyst, alice, bob, as_user):
    client = as_user(analyst)
    created = client.post(f"{API}/freeze-requests/", {"lead": mule.pk, "bank_reference": "R1"})
    assert created.status_code == 201, created.content
    freeze_id = created.json()["id"]
    assert created.json()["elapsed_seconds"] >= 0
    frozen = client.patch(
        f"{API}/freeze-requests/{freeze_id}/", {"state": "frozen"}, content_type="application/json"
    )
    assert frozen.status_code == 200 and frozen.json()["report_to_freeze_seconds"] is not None
    assert as_user(alice).get(f"{API}/freeze-requests/").json()["count"] == 1
    assert as_user(bob).get(f"{API}/freeze-requests/").json()["count"] == 0
    assert as_user(bob).get(f"{API}/freeze-requests/{freeze_id}/").status_code == 404
    not_bank = make_lead(alice)
    assert client.post(f"{API}/freeze-requests/", {"lead": not_bank.pk}).status_code == 400


def test_cases_api(lead, alice, analyst, as_user):
    client = as_user(analyst)
    created = client.post(
        f"{API}/cases/", {"title": "Op", "leads": [lead.pk]}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    assert [x["lead"] for x in created.json()["leads"]] == [lead.pk]
    task = client.post(f"{API}/cases/{case_id}/tasks/", {"title": "Call bank"})
    assert task.status_code == 201
    assert as_user(alice).get(f"{API}/cases/{case_id}/").status_code == 404
    assert as_user(alice).get(f"{API}/cases/").json()["count"] == 0
    assert as_user(alice).post(f"{API}/cases/", {"title": "x", "leads": [lead.pk]}).status_code in (
        400,
        403,
    )


def test_access_requests_api(alice, bob, as_user):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    theirs = make_lead(bob, fields={"number": "081 234 5678"}, police=False)
    made = as_user(alice).post(f"{API}/access-requests/", {"via_lead": mine.pk})
    assert made.status_code == 201 and made.json() == {"requested": 1}
    outgoing = as_user(alice).get(f"{API}/access-requests/outgoing/").json()
    assert outgoing["results"][0]["lead"] is None
    incoming = as_user(bob).get(f"{API}/access-requests/").json()["results"]
    assert incoming[0]["requester_workspace"] == "alpha"
    decided = as_user(bob).post(
        f"{API}/access-requests/{incoming[0]['id']}/decide/", {"decision": "approve"}
    )
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    outgoing = as_user(alice).get(f"{API}/access-requests/outgoing/").json()
    assert outgoing["results"][0]["lead"] == theirs.pk


@pytest.mark.parametrize("path", ["/leads/", "/leads/review-queue/", "/freeze-requests/"])
def test_list_api_constant_queries(path, alice, bob, analyst, as_user):
    client = as_user(analyst if "leads/" not in path or "review" in path else alice)

    def add(count, start):
        for i in range(count):
            mule = make_lead(
                alice,
                kind="bank_account",
                fields={"bank": "SCB", "account_number": str(1000000000 + start + i)},
                named=[bob.workspace],
            )
            services.freeze_request_raise(actor=analyst, lead=mule)

    add(2, 0)
    client.get(API + path)
    with CaptureQueriesContext(connection) as few:
        client.get(API + path)
    add(8, 100)
    with CaptureQueriesContext(connection) as many:
        response = client.get(API + path)
    assert response.json()["count"] == 10
    assert len(many.captured_queries) == len(few.captured_queries)


def test_counts_stop_at_the_cap(alice, as_user, monkeypatch):
    monkeypatch.setattr("cases.pagination.COUNT_CAP", 3)
    for _ in range(5):
        make_lead(alice)
    body = as_user(alice).get(f"{API}/leads/?limit=2").json()
    assert body["count"] == 3 and body["count_capped"] is True and len(body["results"]) == 2
    assert as_user(alice).get(f"{API}/leads/?limit=2&offset=4").json()["results"]
    exact = as_user(alice).get(f"{API}/leads/?kind=phone&status=rejected").json()
    assert exact["count"] == 0 and exact["count_capped"] is False
