"""The officer and analyst pages: what they show, what they refuse, and the same 404 for hidden."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import AccessRequest, Lead
from tests.csp import inline_code
from tests.oracle import fingerprint

from .factories import KBANK, make_lead

MISSING = 999999


def same_404(client, name, hidden_pk, *extra):
    """A hidden record and a missing one answer exactly alike."""
    hidden_url = reverse(name, args=[hidden_pk, *extra])
    missing_url = reverse(name, args=[MISSING, *extra])
    hidden = client.get(hidden_url)
    missing = client.get(missing_url)
    assert hidden.status_code == 404
    assert fingerprint(hidden, hidden_url) == fingerprint(missing, missing_url)


def test_my_leads_lists_own_workspace(alice, bob, bravo, as_user):
    mine = make_lead(alice)
    shared = make_lead(bob, named=[alice.workspace])
    page = as_user(alice).get(reverse("cases:lead_list"))
    assert page.status_code == 200
    assert f"/leads/{mine.pk}/" in page.content.decode()
    assert f"/leads/{shared.pk}/" not in page.content.decode()
    everything = as_user(alice).get(reverse("cases:lead_list") + "?all=1").content.decode()
    assert f"/leads/{shared.pk}/" in everything


def test_lists_never_show_hidden_leads(owner_only, bob, analyst, as_user):
    for user in (bob, analyst):
        client = as_user(user)
        body = client.get(reverse("cases:lead_list") + "?all=1").content.decode()
        assert f"/leads/{owner_only.pk}/" not in body and owner_only.value not in body
        search = reverse("cases:lead_search") + "?q=" + owner_only.key.replace("+", "%2B")
        body = client.get(search).content.decode()
        assert "0 leads" in body and f"/leads/{owner_only.pk}/" not in body


def test_hidden_lead_detail_is_the_same_404_as_missing(owner_only, bob, analyst, as_user):
    for user in (bob, analyst):
        same_404(as_user(user), "cases:lead_detail", owner_only.pk)


def test_hidden_freeze_and_case_pages_are_404(alice, bob, analyst, as_user):
    hidden = make_lead(alice, kind="bank_account", fields=dict(KBANK), police=False)
    freeze = services.freeze_request_raise(actor=alice, lead=hidden)
    case = services.case_open(actor=analyst, title="Op", leads=[make_lead(alice)])
    same_404(as_user(bob), "cases:freeze_detail", freeze.pk)
    same_404(as_user(analyst), "cases:freeze_detail", freeze.pk)
    same_404(as_user(bob), "cases:case_detail", case.pk)
    same_404(as_user(alice), "cases:case_detail", case.pk)


def test_posting_to_a_hidden_lead_is_404(owner_only, bob, as_user):
    client = as_user(bob)
    for name in ("cases:lead_comment", "cases:lead_transition", "cases:lead_freeze"):
        assert client.post(reverse(name, args=[owner_only.pk]), {"text": "x"}).status_code == 404
    assert not owner_only.comments.exists()


def test_new_lead_per_kind(alice, as_user):
    client = as_user(alice)
    chooser = client.get(reverse("cases:lead_new"))
    assert b"?kind=bank_account" in chooser.content
    form = client.get(reverse("cases:lead_new") + "?kind=bank_account")
    assert b'name="account_number"' in form.content
    response = client.post(
        reverse("cases:lead_new"),
        {
            "kind": "bank_account",
            "bank": "SCB",
            "account_number": "111-1-11111-1",
            "reliability": "B",
            "grade": "2",
            "tlp": "amber",
            "audience": "police",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.key == "th-014:1111111111"


def test_new_lead_bad_value_gets_field_message(alice, as_user):
    response = as_user(alice).post(
        reverse("cases:lead_new"),
        {
            "kind": "crypto_wallet",
            "chain": "ETH",
            "address": "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "reliability": "B",
            "grade": "2",
            "tlp": "amber",
            "audience": "police",
        },
    )
    assert response.status_code == 200
    assert "EIP-55" in response.content.decode()
    assert not Lead.objects.exists()


def test_detail_shows_history_comments_and_hidden_count(alice, bob, analyst, as_user):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    make_lead(bob, fields={"number": "+66812345678"}, police=False)
    services.lead_comment_add(actor=analyst, lead=mine, text="Known number.")
    services.lead_transition(actor=analyst, lead=mine, to_status="under_review")
    body = as_user(alice).get(reverse("cases:lead_detail", args=[mine.pk])).content.decode()
    assert "Known number." in body
    assert "Under review" in body
    assert "Also reported by 1 other delegation" in body
    assert "Bravonia" not in body and "bravo" not in body
    assert "Request access" in body
    # The analyst sees the review buttons; alice does not.
    analyst_body = as_user(analyst).get(reverse("cases:lead_detail", args=[mine.pk])).content
    assert b'value="actionable"' in analyst_body
    assert b'value="actionable"' not in body.encode()


def test_request_access_and_approve_through_pages(alice, bob, as_user):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    theirs = make_lead(bob, fields={"number": "081 234 5678"}, police=False)
    as_user(alice).post(reverse("cases:lead_request_access", args=[mine.pk]), {"note": "same"})
    request = AccessRequest.objects.get()
    incoming = as_user(bob).get(reverse("cases:access_requests")).content.decode()
    assert "Embassy of Alphaland" in incoming and "same" in incoming
    # alice cannot decide bob's request: same 404 as a missing one.
    url = reverse("cases:access_request_decide", args=[request.pk])
    assert as_user(alice).post(url, {"decision": "approve"}).status_code == 404
    as_user(bob).post(url, {"decision": "approve"})
    assert as_user(alice).get(reverse("cases:lead_detail", args=[theirs.pk])).status_code == 200


def test_review_queue_and_freeze_queue_for_analysts_only(alice, analyst, as_user, settings):
    settings.FREEZE_OVERDUE_MINUTES = 30
    lead = make_lead(alice)
    mule = make_lead(
        alice,
        kind="bank_account",
        fields=dict(KBANK),
        now=timezone.now() - timedelta(minutes=45),
    )
    services.freeze_request_raise(actor=analyst, lead=mule)
    queue = as_user(analyst).get(reverse("cases:review_queue")).content.decode()
    assert f"/leads/{lead.pk}/" in queue
    freezes = as_user(analyst).get(reverse("cases:freeze_queue")).content.decode()
    assert "OVERDUE" in freezes and "Kasikornbank" in freezes
    assert "45:" in freezes or "0:45:" in freezes  # the age, rendered server-side
    assert inline_code(freezes) == []
    for name in ("cases:review_queue", "cases:freeze_queue"):
        assert as_user(alice).get(reverse(name)).status_code == 403


def test_freeze_update_page(alice, analyst, as_user):
    mule = make_lead(alice, kind="bank_account", fields=dict(KBANK))
    freeze = services.freeze_request_raise(actor=analyst, lead=mule)
    url = reverse("cases:freeze_detail", args=[freeze.pk])
    response = as_user(analyst).post(url, {"state": "frozen", "bank_reference": "KB-1"})
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert freeze.state == "frozen" and freeze.report_to_freeze is not None
    bad = as_user(analyst).post(url, {"state": "requested"})
    assert bad.status_code == 200 and b"cannot go from" in bad.content


def test_case_pages(alice, analyst, analyst2, as_user):
    lead = make_lead(alice)
    response = as_user(analyst).post(
        reverse("cases:lead_open_case", args=[lead.pk]), {"title": "Op Mekong"}
    )
    case_url = response["Location"]
    body = as_user(analyst2).get(case_url).content.decode()
    assert "Op Mekong" in body and f"/leads/{lead.pk}/" in body
    case_pk = int(case_url.rstrip("/").rsplit("/", 1)[1])
    as_user(analyst).post(
        reverse("cases:case_task_add", args=[case_pk]),
        {"title": "Ask the bank", "assignee": analyst2.pk, "due_date": "2030-01-01"},
    )
    assert "Ask the bank" in as_user(analyst).get(case_url).content.decode()
    assert b"Op Mekong" in as_user(analyst).get(reverse("cases:case_list")).content


@pytest.mark.parametrize("name", ["cases:lead_list", "cases:review_queue", "cases:freeze_queue"])
def test_list_pages_use_a_constant_number_of_queries(
    name, alice, analyst, as_user, django_assert_max_num_queries
):
    client = as_user(analyst if name != "cases:lead_list" else alice)
    url = reverse(name) + ("?all=1" if name == "cases:lead_list" else "")

    def add(count):
        for _ in range(count):
            mule = make_lead(alice, kind="bank_account", fields=_account())
            services.freeze_request_raise(actor=analyst, lead=mule)

    add(2)
    client.get(url)  # warm the session and per-user caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


_accounts = iter(range(1000000000, 2000000000, 7919))


def _account():
    return {"bank": "SCB", "account_number": str(next(_accounts))}


KIND_EXAMPLES = {
    "phone": {"number": "+86 138 0013 8000"},
    "bank_account": {"bank": "Krungsri", "account_number": "025-1-23456-7"},
    "crypto_wallet": {"chain": "TRON", "address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"},
    "domain": {"url": "https://xn--bcher-kva.example/"},
    "handle": {"platform": "LINE", "handle": "@scam.line"},
    "person": {"names": "Demo Person", "nationality": "MM", "role": "recruiter"},
    "ip": {"address": "2001:4860:4860::8888"},
}


def test_every_kind_renders_on_list_and_detail(alice, analyst, as_user):
    leads = [make_lead(alice, kind=k, fields=f) for k, f in KIND_EXAMPLES.items()]
    listing = as_user(alice).get(reverse("cases:lead_list")).content.decode()
    for lead in leads:
        assert f"/leads/{lead.pk}/" in listing
        for user in (alice, analyst):
            page = as_user(user).get(reverse("cases:lead_detail", args=[lead.pk]))
            assert page.status_code == 200
            assert lead.key in page.content.decode()
    for kind in KIND_EXAMPLES:
        assert as_user(alice).get(reverse("cases:lead_new") + f"?kind={kind}").status_code == 200
