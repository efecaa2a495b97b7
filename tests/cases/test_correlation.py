"""Correlation across workspaces, access requests, search, and cases: all within the audience."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import selectors, services
from cases.choices import AccessRequestState, CaseStatus, LeadEventAction
from cases.models import AccessRequest, CaseEvent, Lead
from embassies.choices import WorkspaceRole
from sharing.models import Notification
from tests.embassies.factories import UserFactory, WorkspaceFactory

from .factories import KBANK, make_lead


@pytest.fixture
def carol(db):
    """An officer of a third delegation."""
    return UserFactory(workspace=WorkspaceFactory(slug="charlie-ws"), role=WorkspaceRole.OFFICER)


def test_same_number_typed_differently_correlates(alice, bob, carol, bravo):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    # bravo shares with alpha by name: visible to alice, listed in full.
    shared = make_lead(bob, fields={"number": "+66 81-234-5678"}, named=[alice.workspace])
    # carol's workspace reports it police-only: counted, never named.
    make_lead(carol, fields={"number": "0066812345678"})
    make_lead(carol, fields={"number": "+66812345678"}, police=False)
    make_lead(alice, fields={"number": "+66 81 234 5678"})  # alpha's own second copy: not counted
    found = selectors.lead_correlation(user=alice, lead=mine)
    assert [r.pk for r in found.visible] == [shared.pk]
    assert found.hidden_workspaces == 1
    assert found.total_workspaces == 2


def test_analyst_sees_police_copies_and_counts_owner_only(alice, bob, analyst):
    mine = make_lead(alice, kind="bank_account", fields=dict(KBANK))
    police_copy = make_lead(
        bob, kind="bank_account", fields={"bank": "004", "account_number": "1234567890"}
    )
    make_lead(
        bob,
        kind="bank_account",
        fields={"bank": "kbank", "account_number": "1234567890"},
        police=False,
    )
    found = selectors.lead_correlation(user=analyst, lead=mine)
    assert [r.pk for r in found.visible] == [police_copy.pk]
    assert found.hidden_workspaces == 0  # bravo already listed through its visible copy


def test_correlation_in_two_queries(alice, bob, carol):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    for user in (bob, carol):
        make_lead(user, fields={"number": "081 234 5678"})
    with CaptureQueriesContext(connection) as ctx:
        selectors.lead_correlation(user=alice, lead=mine)
    assert len(ctx.captured_queries) == 2


def test_access_request_approved(alice, bob, bravo):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    theirs = make_lead(bob, fields={"number": "081 234 5678"}, police=False)
    assert services.access_request_create(actor=alice, via_lead=mine, note="same caller") == 1
    # Asking again while pending makes nothing new.
    assert services.access_request_create(actor=alice, via_lead=mine) == 0
    request = AccessRequest.objects.get()
    assert request.lead == theirs and request.requester_workspace == alice.workspace
    assert Notification.objects.filter(recipient=bob, kind="access_request").exists()
    # The requester cannot decide, nor see the incoming request.
    assert not selectors.access_requests_incoming(user=alice).exists()
    with pytest.raises(PermissionDenied):
        services.access_request_decide(actor=alice, access_request=request, approve=True)
    assert not Lead.objects.visible_to(alice).filter(pk=theirs.pk).exists()
    services.access_request_decide(actor=bob, access_request=request, approve=True)
    request.refresh_from_db()
    assert request.state == AccessRequestState.APPROVED and request.decided_by == bob
    assert Lead.objects.visible_to(alice).filter(pk=theirs.pk).exists()
    event = theirs.events.get(action=LeadEventAction.ACCESS)
    assert event.actor == bob and "Alphaland" not in event.text
    assert Notification.objects.filter(recipient=alice, kind="access_decided").exists()
    with pytest.raises(ValidationError):
        services.access_request_decide(actor=bob, access_request=request, approve=False)
    # Now correlated in full.
    found = selectors.lead_correlation(user=alice, lead=mine)
    assert [r.pk for r in found.visible] == [theirs.pk] and found.hidden_workspaces == 0


def test_access_request_declined_stays_hidden(alice, bob):
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    theirs = make_lead(bob, fields={"number": "081 234 5678"}, police=False)
    services.access_request_create(actor=alice, via_lead=mine)
    request = AccessRequest.objects.get()
    services.access_request_decide(actor=bob, access_request=request, approve=False)
    request.refresh_from_db()
    assert request.state == AccessRequestState.DECLINED and request.decided_at
    assert not Lead.objects.visible_to(alice).filter(pk=theirs.pk).exists()
    outgoing = selectors.access_requests_outgoing(user=alice).get()
    assert outgoing.lead_visible is False
    # The decline reached alice through her own lead, without naming bravo.
    note = Notification.objects.get(recipient=alice, kind="access_decided")
    assert "Bravonia" not in note.title and str(mine.pk) in note.url


def test_search_by_value_within_audience(alice, bob, bravo, analyst, carol):
    visible = make_lead(bob, fields={"number": "+66 81 234 5678"}, named=[alice.workspace])
    police_only = make_lead(carol, fields={"number": "081-234-5678"})
    owner_only = make_lead(carol, fields={"number": "0812345678"}, police=False)
    make_lead(bob, fields={"number": "+66 89 999 9999"}, named=[alice.workspace])

    def hits(user, q, **kw):
        return {lead.pk for lead in selectors.lead_search(user=user, q=q, **kw)}

    assert hits(alice, "081 234 5678") == {visible.pk}
    assert hits(analyst, "(081) 234-5678") == {visible.pk, police_only.pk}
    assert hits(carol, "+66812345678") == {police_only.pk, owner_only.pk}
    assert hits(alice, "nonsense") == set()
    assert hits(alice, "081 234 5678", kind="bank_account") == set()
    assert hits(analyst, "081 234 5678", status="rejected") == set()


def test_search_accounts_handles_and_wallets_by_kind(alice):
    account = make_lead(alice, kind="bank_account", fields=dict(KBANK))
    handle = make_lead(alice, kind="handle", fields={"platform": "Telegram", "handle": "@Boss_X"})
    wallet = make_lead(
        alice,
        kind="crypto_wallet",
        fields={"chain": "ETH", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
    )
    person = make_lead(
        alice, kind="person", fields={"names": "Wang Wei", "date_of_birth": "1980-02-03"}
    )
    assert [
        lead.pk
        for lead in selectors.lead_search(user=alice, q="kbank 1234567890", kind="bank_account")
    ] == [account.pk]
    assert [
        lead.pk for lead in selectors.lead_search(user=alice, q="telegram @boss_x", kind="handle")
    ] == [handle.pk]
    assert [lead.pk for lead in selectors.lead_search(user=alice, q="boss_x", kind="handle")] == [
        handle.pk
    ]
    # No kind given: the value is recognised (an ETH address, typed in lower case).
    assert [
        lead.pk
        for lead in selectors.lead_search(
            user=alice, q="0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
        )
    ] == [wallet.pk]
    assert [lead.pk for lead in selectors.lead_search(user=alice, q="WANG wei", kind="person")] == [
        person.pk
    ]


def test_search_by_compound_and_date(alice):
    lead = make_lead(alice, compound_refs="KK Park")
    make_lead(alice, compound_refs="Shwe Kokko")
    found = selectors.lead_list(
        user=alice, filters={"compound": "kk park", "since": lead.created_at.date()}
    )
    assert [x.pk for x in found] == [lead.pk]


# --- cases ---------------------------------------------------------------------------------


def test_case_lists_only_leads_the_viewer_may_see(alice, bob, analyst, analyst2, police):
    open_lead = make_lead(alice)
    later_hidden = make_lead(bob)
    case = services.case_open(actor=analyst, title="Call centre", leads=[open_lead, later_hidden])
    assert case.workspace == analyst.workspace and case.police_access
    # bravo narrows its lead to owner-only afterwards: the case does not widen it back.
    Lead.objects.filter(pk=later_hidden.pk).update(police_access=False)
    links = selectors.case_leads(user=analyst2, case=case)
    assert [link.lead_id for link in links] == [open_lead.pk]
    timeline = selectors.case_timeline(user=analyst2, case=case)
    assert later_hidden.pk not in {e.lead_id for e in timeline}
    # A police desk officer (not an analyst) sees the case, but no lead unless shared with them.
    desk = UserFactory(workspace=police, role=WorkspaceRole.OFFICER)
    assert selectors.case_list(user=desk).filter(pk=case.pk).exists()
    assert not selectors.case_leads(user=desk, case=case).exists()
    assert all(e.lead_id is None for e in selectors.case_timeline(user=desk, case=case))
    # Embassies never see police cases.
    for officer in (alice, bob):
        assert not selectors.case_list(user=officer).exists()


def test_case_rules(alice, analyst, analyst2):
    lead = make_lead(alice)
    hidden = make_lead(alice, police=False)
    with pytest.raises(PermissionDenied):
        services.case_open(actor=alice, title="x", leads=[lead])
    with pytest.raises(ValidationError):
        services.case_open(actor=analyst, title="x", leads=[])
    with pytest.raises(ValidationError):
        services.case_open(actor=analyst, title="x", leads=[hidden])
    case = services.case_open(actor=analyst, title="x", leads=[lead], lead_analyst=analyst2)
    assert case.lead_analyst == analyst2
    with pytest.raises(ValidationError):
        services.case_lead_add(actor=analyst, case=case, lead=lead)
    task = services.case_task_add(
        actor=analyst, case=case, title="Call the bank", assignee=analyst2
    )
    with pytest.raises(ValidationError):
        services.case_task_add(actor=analyst, case=case, title="x", assignee=alice)
    services.case_task_done(actor=analyst2, task=task)
    task.refresh_from_db()
    assert task.done and task.done_at
    services.case_update(actor=analyst, case=case, status=CaseStatus.CLOSED)
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["opened", "lead_added", "task_added", "task_done", "status"]
    assert lead.events.filter(action=LeadEventAction.CASE).exists()


def test_search_and_correlation_use_the_key_index_on_postgresql(alice, bob, analyst):
    """With sequential scans priced out, the planner answers from cases_lead_kind_key."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL query plans")
    mine = make_lead(alice, fields={"number": "081 234 5678"})
    make_lead(bob, fields={"number": "081 234 5678"})
    queries = [
        selectors.lead_search(user=analyst, q="081 234 5678"),
        Lead.objects.filter(kind=mine.kind, key=mine.key).exclude(workspace_id=mine.workspace_id),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for qs in queries:
            plan = qs.explain()
            assert "cases_lead_kind_key" in plan, plan
