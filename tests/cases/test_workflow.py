"""Submitting leads and the review workflow: every allowed and forbidden move, and who may."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cases import services
from cases.choices import LeadEventAction, LeadStatus
from cases.models import Lead, LeadEvent
from sharing.models import Notification

from .factories import make_lead

ALL = list(LeadStatus.values)
ALLOWED = [(a, b) for a, moves in services.TRANSITIONS.items() for b in moves]
FORBIDDEN = [(a, b) for a in ALL for b in ALL if (a, b) not in ALLOWED]


def at_status(lead, status):
    """Put a lead in a status for a test (the workflow itself is what is under test)."""
    Lead.objects.filter(pk=lead.pk).update(status=status)
    lead.refresh_from_db()
    return lead


def test_submit_normalises_and_writes_history(alice, analyst):
    lead = make_lead(alice, fields={"number": "081 234 5678"})
    assert lead.key == "+66812345678" and lead.value == "+66812345678"
    assert lead.raw == {"number": "081 234 5678"}
    assert lead.status == LeadStatus.NEW and lead.workspace == alice.workspace
    (event,) = LeadEvent.objects.filter(lead=lead)
    assert event.action == LeadEventAction.SUBMITTED and event.actor == alice
    # Police analysts hear about a new lead shared with them.
    assert Notification.objects.filter(recipient=analyst, kind="lead_submitted").count() == 1


def test_bad_value_names_the_field_and_saves_nothing(alice):
    with pytest.raises(ValidationError) as info:
        make_lead(alice, kind="bank_account", fields={"bank": "SCB", "account_number": "12"})
    assert "account_number" in info.value.message_dict
    assert not Lead.objects.exists() and not LeadEvent.objects.exists()


def test_bad_grading_is_refused(alice):
    with pytest.raises(ValidationError) as info:
        make_lead(alice, reliability="Z")
    assert "reliability" in info.value.message_dict


def test_only_workspace_officers_submit(outsider, platform_admin):
    for user in (outsider, platform_admin):
        with pytest.raises(PermissionDenied):
            make_lead(user)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_each_allowed_transition(from_status, to_status, alice, analyst):
    lead = at_status(make_lead(alice), from_status)
    actor = analyst if services.TRANSITIONS[from_status][to_status] == "analyst" else alice
    moved = services.lead_transition(actor=actor, lead=lead, to_status=to_status, reason="why")
    assert moved.status == to_status
    event = LeadEvent.objects.filter(lead=lead, action=LeadEventAction.STATUS).get()
    assert (event.actor, event.from_status, event.to_status) == (actor, from_status, to_status)
    if actor == analyst:
        assert moved.reviewer == analyst
        # The submitting workspace sees the change and is told.
        assert Notification.objects.filter(recipient=alice, kind="lead_review").exists()


def test_each_forbidden_transition(alice, analyst):
    """Every (from, to) pair outside the table is refused, for the analyst and the owner alike."""
    lead = make_lead(alice)
    assert len(FORBIDDEN) > 20
    for from_status, to_status in FORBIDDEN:
        lead = at_status(lead, from_status)
        for actor in (analyst, alice):
            with pytest.raises((ValidationError, PermissionDenied)):
                services.lead_transition(actor=actor, lead=lead, to_status=to_status, reason="x")
        lead.refresh_from_db()
        assert lead.status == from_status, (from_status, to_status)
    assert not LeadEvent.objects.filter(lead=lead, action=LeadEventAction.STATUS).exists()


def test_officers_never_review(alice, bob, bravo):
    lead = make_lead(alice, named=[bravo])
    for officer in (alice, bob):
        with pytest.raises(PermissionDenied):
            services.lead_transition(actor=officer, lead=lead, to_status=LeadStatus.UNDER_REVIEW)


def test_analyst_never_reviews_own_lead(analyst, analyst2):
    own = make_lead(analyst)
    with pytest.raises(PermissionDenied):
        services.lead_transition(actor=analyst, lead=own, to_status=LeadStatus.UNDER_REVIEW)
    moved = services.lead_transition(actor=analyst2, lead=own, to_status=LeadStatus.UNDER_REVIEW)
    assert moved.reviewer == analyst2


def test_database_refuses_reviewer_equal_to_submitter(analyst):
    own = make_lead(analyst)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=own.pk).update(reviewer=analyst)


def test_reject_and_return_need_a_reason(lead, analyst):
    for status in (LeadStatus.REJECTED, LeadStatus.RETURNED):
        with pytest.raises(ValidationError) as info:
            services.lead_transition(actor=analyst, lead=lead, to_status=status, reason=" ")
        assert "reason" in info.value.message_dict


def test_returned_lead_goes_back_to_submitting_workspace(alice, alpha_admin, bob, bravo, analyst):
    lead = make_lead(alice, named=[bravo])
    services.lead_transition(
        actor=analyst, lead=lead, to_status=LeadStatus.RETURNED, reason="Which bank branch?"
    )
    lead.refresh_from_db()
    assert lead.rejection_reason == "Which bank branch?"
    # bravo can see it but did not submit it; the analyst cannot answer for alpha.
    for stranger in (bob, analyst):
        with pytest.raises(PermissionDenied):
            services.lead_transition(actor=stranger, lead=lead, to_status=LeadStatus.NEW)
    services.lead_transition(actor=alpha_admin, lead=lead, to_status=LeadStatus.NEW, reason="Silom")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW and lead.rejection_reason == ""
    assert Notification.objects.filter(recipient=analyst, kind="lead_resubmitted").exists()


def test_hidden_lead_cannot_be_moved(owner_only, analyst):
    with pytest.raises(PermissionDenied):
        services.lead_transition(actor=analyst, lead=owner_only, to_status=LeadStatus.UNDER_REVIEW)


def test_assignment(lead, alice, analyst, analyst2):
    services.lead_assign(actor=analyst, lead=lead, assignee=analyst2)
    lead.refresh_from_db()
    assert lead.assignee == analyst2
    assert Notification.objects.filter(recipient=analyst2, kind="lead_assigned").exists()
    assert LeadEvent.objects.filter(lead=lead, action=LeadEventAction.ASSIGNED).exists()
    with pytest.raises(PermissionDenied):
        services.lead_assign(actor=alice, lead=lead, assignee=analyst)
    with pytest.raises(ValidationError):
        services.lead_assign(actor=analyst, lead=lead, assignee=alice)


def test_submitter_cannot_be_assigned_own_lead(analyst, analyst2):
    own = make_lead(analyst)
    with pytest.raises(ValidationError):
        services.lead_assign(actor=analyst2, lead=own, assignee=analyst)


def test_comments_by_the_audience_only(alice, bob, bravo, analyst):
    lead = make_lead(alice, named=[bravo])
    services.lead_comment_add(actor=bob, lead=lead, text="We have this number too.")
    services.lead_comment_add(actor=analyst, lead=lead, text="Checking.")
    assert lead.comments.count() == 2
    assert LeadEvent.objects.filter(lead=lead, action=LeadEventAction.COMMENT).count() == 2
    with pytest.raises(ValidationError):
        services.lead_comment_add(actor=alice, lead=lead, text="   ")
    hidden = make_lead(alice, police=False)
    with pytest.raises(PermissionDenied):
        services.lead_comment_add(actor=bob, lead=hidden, text="peek")


def test_history_is_append_only(lead):
    event = LeadEvent.objects.filter(lead=lead).first()
    event.text = "rewritten"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
