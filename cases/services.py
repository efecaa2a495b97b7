"""Writes: submit and review leads, freeze requests, cases and access requests.

Every service takes keyword-only arguments, runs in one transaction, re-reads the record
through the actor's audience (a stale or hidden copy is refused), validates with
`full_clean()`, and writes a history entry. `now` may be passed in (tests, the beat task) so
clocks are exact without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from embassies.models import User, Workspace
from embassies.permissions import is_police_analyst
from indicators import selectors as indicator_selectors
from sharing.choices import TLP
from sharing.notifications import notify, owner_and_police
from sharing.services import assert_can_write, audience_set, audience_validate
from victims import selectors as victim_selectors

from .choices import (
    FREEZE_ACTIVE_STATES,
    AccessRequestState,
    CaseEventAction,
    CaseStatus,
    FreezeState,
    LeadEventAction,
    LeadKind,
    LeadStatus,
)
from .models import (
    AccessRequest,
    Case,
    CaseEvent,
    CaseLead,
    CaseReport,
    CaseTask,
    CaseVictim,
    FreezeRequest,
    Lead,
    LeadComment,
    LeadEvent,
)
from .normalise import KIND_FIELDS, LeadValueError, bare_key, normalise
from .permissions import (
    can_manage_case,
    can_request_freeze,
    can_resubmit,
    can_review,
    can_submit,
)

if TYPE_CHECKING:
    from sharing.models import SharedRecord

ANALYST, OWNER = "analyst", "owner"

# The review workflow: (from, to) -> who may make the move. Nothing else is allowed.
TRANSITIONS: dict[str, dict[str, str]] = {
    LeadStatus.NEW: {
        LeadStatus.UNDER_REVIEW: ANALYST,
        LeadStatus.REJECTED: ANALYST,
        LeadStatus.RETURNED: ANALYST,
    },
    LeadStatus.UNDER_REVIEW: {
        LeadStatus.ACTIONABLE: ANALYST,
        LeadStatus.REJECTED: ANALYST,
        LeadStatus.RETURNED: ANALYST,
    },
    LeadStatus.ACTIONABLE: {
        LeadStatus.ACTIONED: ANALYST,
        LeadStatus.UNDER_REVIEW: ANALYST,
        LeadStatus.REJECTED: ANALYST,
    },
    LeadStatus.RETURNED: {LeadStatus.NEW: OWNER},
    LeadStatus.ACTIONED: {},
    LeadStatus.REJECTED: {},
}
# Moves that must say why.
NEEDS_REASON = (LeadStatus.REJECTED, LeadStatus.RETURNED)

FREEZE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    FreezeState.REQUESTED: (FreezeState.ACKNOWLEDGED, FreezeState.FROZEN, FreezeState.REFUSED),
    FreezeState.ACKNOWLEDGED: (FreezeState.FROZEN, FreezeState.REFUSED),
    FreezeState.FROZEN: (FreezeState.RELEASED, FreezeState.EXPIRED),
    FreezeState.REFUSED: (),
    FreezeState.EXPIRED: (),
    FreezeState.RELEASED: (),
}


def lead_url(lead: Lead) -> str:
    return reverse("cases:lead_detail", args=[lead.pk])


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _locked_lead(*, actor: User, lead: Lead) -> Lead:
    """The lead, locked, if the actor may still see it; otherwise refuse without detail."""
    locked = Lead.objects.visible_to(actor).select_for_update().filter(pk=lead.pk).first()
    if locked is None:
        raise PermissionDenied(_("You cannot act on this lead."))
    return locked


def _notify_workspace(
    *, record: SharedRecord, workspace_id: int, kind: str, title: str, url: str, event_key: str
) -> None:
    notify(
        recipients=User.objects.filter(workspace_id=workspace_id),
        record=record,
        kind=kind,
        title=title,
        url=url,
        event_key=event_key,
    )


# --- leads ---------------------------------------------------------------------------------


@transaction.atomic
def lead_create(
    *,
    actor: User,
    kind: str,
    fields: dict,
    reliability: str,
    grade: str,
    description: str = "",
    compound_refs: str = "",
    tlp: str = TLP.AMBER,
    police_access: bool = True,
    shared_with_all: bool = False,
    workspaces: Iterable[Workspace] = (),
    now: datetime | None = None,
) -> Lead:
    """Submit a lead for the actor's workspace: validated, normalised, and put in the queue.

    A bad value raises ValidationError naming its field; nothing is saved.
    """
    if not can_submit(actor):
        raise PermissionDenied(_("Only officers of a workspace submit leads."))
    if kind not in LeadKind.values:
        raise ValidationError({"kind": _("Unknown kind of lead.")})
    raw = {name: fields.get(name, "") for name in KIND_FIELDS[kind] if name in fields}
    try:
        key, details = normalise(kind, raw)
    except LeadValueError as exc:
        raise ValidationError({exc.field: exc.message}) from exc
    workspace = actor.workspace
    assert workspace is not None  # can_submit() requires a workspace
    named = audience_validate(
        owner=workspace, tlp=tlp, shared_with_all=shared_with_all, workspaces=workspaces
    )
    at = _now(now)
    lead = Lead(
        workspace=workspace,
        created_by=actor,
        created_at=at,
        status_changed_at=at,
        tlp=tlp,
        police_access=police_access,
        shared_with_all=shared_with_all,
        kind=kind,
        raw=raw,
        key=key,
        bare_key=bare_key(kind, details),
        value=str(details.pop("display", key))[:400],
        details=details,
        reliability=reliability,
        grade=grade,
        description=description.strip(),
        compound_refs=compound_refs.strip(),
    )
    lead.full_clean(exclude=["shared_with"])
    lead.save()
    lead.shared_with.set(named)
    LeadEvent.objects.create(
        lead=lead, actor=actor, at=at, action=LeadEventAction.SUBMITTED, to_status=lead.status
    )
    if police_access:
        notify(
            recipients=User.objects.filter(is_police_analyst=True),
            record=lead,
            kind="lead_submitted",
            title=_("A new lead is waiting for review"),
            url=lead_url(lead),
            event_key=f"lead-{lead.pk}-submitted",
        )
    return Lead.objects.visible_to(actor).get(pk=lead.pk)


def allowed_transitions(*, user: User, lead: Lead) -> list[str]:
    """The statuses `user` may move `lead` to now (for buttons; the service re-checks)."""
    moves = []
    for to_status, who in TRANSITIONS.get(lead.status, {}).items():
        if (who == ANALYST and can_review(user, lead)) or (
            who == OWNER and can_resubmit(user, lead)
        ):
            moves.append(to_status)
    return moves


@transaction.atomic
def lead_transition(
    *, actor: User, lead: Lead, to_status: str, reason: str = "", now: datetime | None = None
) -> Lead:
    """Move a lead through the review workflow, if the table allows it and the actor may.

    Analysts review (never their own submission); the submitting workspace answers a lead
    returned for information. The submitting workspace is notified of every review step.
    """
    locked = _locked_lead(actor=actor, lead=lead)
    who = TRANSITIONS.get(locked.status, {}).get(to_status)
    if who is None:
        raise ValidationError(
            {
                "status": _("A lead cannot go from %(a)s to %(b)s.")
                % {"a": locked.get_status_display(), "b": to_status}
            }
        )
    if who == ANALYST and not can_review(actor, locked):
        raise PermissionDenied(_("Only a police analyst who did not submit the lead reviews it."))
    if who == OWNER and not can_resubmit(actor, locked):
        raise PermissionDenied(_("Only the submitting workspace answers a returned lead."))
    reason = reason.strip()
    if to_status in NEEDS_REASON and not reason:
        raise ValidationError({"reason": _("Say why.")})
    at = _now(now)
    from_status = locked.status
    locked.status = to_status
    locked.status_changed_at = at
    if who == ANALYST:
        locked.reviewer = actor
    locked.rejection_reason = reason if to_status in NEEDS_REASON else ""
    locked.full_clean(exclude=["shared_with"])
    locked.save(update_fields=["status", "status_changed_at", "reviewer", "rejection_reason"])
    event = LeadEvent.objects.create(
        lead=locked,
        actor=actor,
        at=at,
        action=LeadEventAction.STATUS,
        from_status=from_status,
        to_status=to_status,
        text=reason,
    )
    if who == ANALYST:
        _notify_workspace(
            record=locked,
            workspace_id=locked.workspace_id,
            kind="lead_review",
            title=_("Your lead is now: %(s)s") % {"s": locked.get_status_display()},
            url=lead_url(locked),
            event_key=f"lead-{locked.pk}-event-{event.pk}",
        )
    else:
        notify(
            recipients=User.objects.filter(is_police_analyst=True),
            record=locked,
            kind="lead_resubmitted",
            title=_("A returned lead was answered"),
            url=lead_url(locked),
            event_key=f"lead-{locked.pk}-event-{event.pk}",
        )
    return locked


@transaction.atomic
def lead_assign(*, actor: User, lead: Lead, assignee: User | None) -> Lead:
    """Assign a lead to a police analyst (not its submitter), or clear the assignment."""
    locked = _locked_lead(actor=actor, lead=lead)
    if not is_police_analyst(actor):
        raise PermissionDenied(_("Only police analysts assign leads."))
    if assignee is not None and not can_review(assignee, locked):
        raise ValidationError(
            {"assignee": _("Assign a police analyst who did not submit this lead.")}
        )
    locked.assignee = assignee
    locked.save(update_fields=["assignee"])
    event = LeadEvent.objects.create(
        lead=locked,
        actor=actor,
        action=LeadEventAction.ASSIGNED,
        text=str(assignee) if assignee else _("unassigned"),
    )
    if assignee is not None and assignee.pk != actor.pk:
        notify(
            recipients=User.objects.filter(pk=assignee.pk),
            record=locked,
            kind="lead_assigned",
            title=_("A lead was assigned to you"),
            url=lead_url(locked),
            event_key=f"lead-{locked.pk}-event-{event.pk}",
        )
    return locked


@transaction.atomic
def lead_comment_add(*, actor: User, lead: Lead, text: str) -> LeadComment:
    """Comment on a lead; anyone in its audience may, and everyone there reads it."""
    locked = _locked_lead(actor=actor, lead=lead)
    comment = LeadComment(lead=locked, author=actor, text=text.strip())
    comment.full_clean()
    comment.save()
    LeadEvent.objects.create(
        lead=locked, actor=actor, at=comment.created_at, action=LeadEventAction.COMMENT
    )
    return comment


# --- freeze requests -----------------------------------------------------------------------


@transaction.atomic
def freeze_request_raise(
    *, actor: User, lead: Lead, bank_reference: str = "", now: datetime | None = None
) -> FreezeRequest:
    """Ask the bank to freeze the account of a bank-account lead; the clock runs from its report."""
    locked = _locked_lead(actor=actor, lead=lead)
    if locked.kind != LeadKind.BANK_ACCOUNT:
        raise ValidationError({"lead": _("Only a bank-account lead can have a freeze request.")})
    if not can_request_freeze(actor, locked):
        raise PermissionDenied(
            _("A police analyst or an officer of the reporting workspace raises a freeze request.")
        )
    if locked.freeze_requests.filter(state__in=FREEZE_ACTIVE_STATES).exists():
        raise ValidationError(_("This account already has an open freeze request."))
    at = _now(now)
    freeze = FreezeRequest(
        lead=locked,
        bank=locked.details.get("bank_name", ""),
        account_number=locked.details.get("account_number", ""),
        bank_reference=bank_reference.strip(),
        requested_by=actor,
        reported_at=locked.created_at,
        requested_at=at,
    )
    freeze.full_clean()
    try:
        with transaction.atomic():
            freeze.save()
    except IntegrityError as exc:  # a concurrent request won the race
        raise ValidationError(_("This account already has an open freeze request.")) from exc
    LeadEvent.objects.create(
        lead=locked, actor=actor, at=at, action=LeadEventAction.FREEZE, text=_("freeze requested")
    )
    notify(
        recipients=owner_and_police(locked),
        record=locked,
        kind="freeze_requested",
        title=_("Urgent: a freeze request was raised"),
        url=lead_url(locked),
        event_key=f"freeze-{freeze.pk}-requested",
    )
    return freeze


@transaction.atomic
def freeze_request_update(
    *,
    actor: User,
    freeze: FreezeRequest,
    state: str | None = None,
    bank_reference: str | None = None,
    outcome: str | None = None,
    hold_expires_at: datetime | None = None,
    now: datetime | None = None,
) -> FreezeRequest:
    """Record the bank's answer: its reference, acknowledgement, the freeze, refusal or release.

    Marking it frozen records `report_to_freeze` (freeze time minus report time) and the hold's
    expiry (the bank's figure, or FREEZE_HOLD_DAYS).
    """
    lead = _locked_lead(actor=actor, lead=freeze.lead)
    locked = FreezeRequest.objects.select_for_update().get(pk=freeze.pk, lead=lead)
    if not can_request_freeze(actor, lead):
        raise PermissionDenied(
            _("A police analyst or an officer of the reporting workspace updates a freeze request.")
        )
    at = _now(now)
    old_state = locked.state
    if state is not None and state != old_state:
        if state not in FREEZE_TRANSITIONS.get(old_state, ()):
            raise ValidationError(
                {
                    "state": _("A freeze request cannot go from %(a)s to %(b)s.")
                    % {"a": locked.get_state_display(), "b": state}
                }
            )
        locked.state = state
        if state == FreezeState.ACKNOWLEDGED:
            locked.acknowledged_at = at
        elif state == FreezeState.FROZEN:
            if at < locked.reported_at:
                raise ValidationError({"state": _("The freeze cannot precede the report.")})
            locked.frozen_at = at
            locked.report_to_freeze = at - locked.reported_at
            locked.hold_expires_at = hold_expires_at or at + timedelta(
                days=settings.FREEZE_HOLD_DAYS
            )
        else:
            locked.closed_at = at
    if hold_expires_at is not None and locked.state == FreezeState.FROZEN:
        if locked.frozen_at and hold_expires_at <= locked.frozen_at:
            raise ValidationError({"hold_expires_at": _("The hold must end after the freeze.")})
        locked.hold_expires_at = hold_expires_at
    elif hold_expires_at is not None:
        raise ValidationError({"hold_expires_at": _("Only a frozen account has a hold.")})
    if bank_reference is not None:
        locked.bank_reference = bank_reference.strip()
    if outcome is not None:
        locked.outcome = outcome.strip()
    locked.full_clean()
    locked.save()
    if locked.state != old_state:
        LeadEvent.objects.create(
            lead=lead,
            actor=actor,
            at=at,
            action=LeadEventAction.FREEZE,
            text=_("freeze request: %(a)s → %(b)s")
            % {"a": FreezeState(old_state).label, "b": locked.get_state_display()},
        )
        notify(
            recipients=owner_and_police(lead),
            record=lead,
            kind="freeze_update",
            title=_("Freeze request: %(s)s") % {"s": locked.get_state_display()},
            url=lead_url(lead),
            event_key=f"freeze-{locked.pk}-{locked.state}",
        )
    return locked


def freeze_expiry_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Remind before a hold lapses, and mark lapsed holds expired. Idempotent.

    Each row is claimed with a conditional UPDATE, so overlapping runs (beat plus a retry)
    neither send a reminder twice nor expire a request twice.
    """
    at = _now(now)
    reminded = expired = 0
    horizon = at + timedelta(hours=settings.FREEZE_REMINDER_HOURS)
    due = (
        FreezeRequest.objects.filter(
            state=FreezeState.FROZEN, hold_expires_at__gt=at, hold_expires_at__lte=horizon
        )
        .exclude(reminded_for=F("hold_expires_at"))
        .select_related("lead")
    )
    for freeze in due:
        with transaction.atomic():
            claimed = (
                FreezeRequest.objects.filter(
                    pk=freeze.pk, state=FreezeState.FROZEN, hold_expires_at=freeze.hold_expires_at
                )
                .exclude(reminded_for=F("hold_expires_at"))
                .update(reminded_for=F("hold_expires_at"))
            )
            if claimed:
                reminded += 1
                notify(
                    recipients=owner_and_police(freeze.lead),
                    record=freeze.lead,
                    kind="freeze_hold_expiring",
                    title=_("A bank hold on a mule account is about to lapse"),
                    url=lead_url(freeze.lead),
                    event_key=f"freeze-{freeze.pk}-expiry-{freeze.hold_expires_at:%Y%m%d%H%M}",
                )
    lapsed = FreezeRequest.objects.filter(
        state=FreezeState.FROZEN, hold_expires_at__lte=at
    ).select_related("lead", "requested_by")
    for freeze in lapsed:
        with transaction.atomic():
            claimed = FreezeRequest.objects.filter(pk=freeze.pk, state=FreezeState.FROZEN).update(
                state=FreezeState.EXPIRED, closed_at=at
            )
            if claimed:
                expired += 1
                LeadEvent.objects.create(
                    lead=freeze.lead,
                    actor=freeze.requested_by,
                    at=at,
                    action=LeadEventAction.FREEZE,
                    text=_("freeze request: hold expired"),
                )
                notify(
                    recipients=owner_and_police(freeze.lead),
                    record=freeze.lead,
                    kind="freeze_update",
                    title=_("Freeze request: %(s)s") % {"s": FreezeState.EXPIRED.label},
                    url=lead_url(freeze.lead),
                    event_key=f"freeze-{freeze.pk}-expired",
                )
    return {"reminded": reminded, "expired": expired}


# --- cases ---------------------------------------------------------------------------------


def _case_url(case: Case) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def _locked_case(*, actor: User, case: Case) -> Case:
    locked = Case.objects.visible_to(actor).select_for_update().filter(pk=case.pk).first()
    if locked is None or not can_manage_case(actor, locked):
        raise PermissionDenied(_("Only police analysts work on cases."))
    return locked


def _link_lead(*, actor: User, case: Case, lead: Lead, at: datetime) -> None:
    visible = Lead.objects.visible_to(actor).filter(pk=lead.pk).first()
    if visible is None:
        raise ValidationError({"leads": _("One of the leads does not exist.")})
    _link, created = CaseLead.objects.get_or_create(
        case=case, lead=visible, defaults={"added_by": actor, "added_at": at}
    )
    if not created:
        raise ValidationError({"leads": _("This lead is already linked to the case.")})
    CaseEvent.objects.create(
        case=case, lead=visible, actor=actor, at=at, action=CaseEventAction.LEAD_ADDED
    )
    LeadEvent.objects.create(lead=visible, actor=actor, at=at, action=LeadEventAction.CASE)


@transaction.atomic
def case_open(
    *,
    actor: User,
    title: str,
    leads: Iterable[Lead],
    summary: str = "",
    lead_analyst: User | None = None,
    tlp: str = TLP.AMBER,
    now: datetime | None = None,
) -> Case:
    """Open a case from one or more leads the analyst can see; owned by the police workspace."""
    if not is_police_analyst(actor) or not actor.workspace_id:
        raise PermissionDenied(_("Only police analysts open cases."))
    leads = list(leads)
    if not leads:
        raise ValidationError({"leads": _("Open a case from at least one lead.")})
    lead_analyst = lead_analyst or actor
    if not is_police_analyst(lead_analyst):
        raise ValidationError({"lead_analyst": _("The lead analyst is a police analyst.")})
    workspace = actor.workspace
    assert workspace is not None  # checked above (actor.workspace_id)
    audience_validate(owner=workspace, tlp=tlp, shared_with_all=False, workspaces=())
    at = _now(now)
    case = Case(
        workspace=workspace,
        created_by=actor,
        created_at=at,
        tlp=tlp,
        police_access=True,
        title=title.strip(),
        summary=summary.strip(),
        lead_analyst=lead_analyst,
    )
    case.full_clean(exclude=["shared_with"])
    case.save()
    CaseEvent.objects.create(case=case, actor=actor, at=at, action=CaseEventAction.OPENED)
    for lead in leads:
        _link_lead(actor=actor, case=case, lead=lead, at=at)
    return Case.objects.visible_to(actor).get(pk=case.pk)


@transaction.atomic
def case_lead_add(*, actor: User, case: Case, lead: Lead, now: datetime | None = None) -> Case:
    """Link one more lead (that the analyst can see) to a case."""
    locked = _locked_case(actor=actor, case=case)
    _link_lead(actor=actor, case=locked, lead=lead, at=_now(now))
    return locked


def _link_add(
    *,
    actor: User,
    locked: Case,
    link_model: Any,
    field: str,
    record: Any,
    action: str,
    at: datetime,
    already: str,
) -> Any:
    """Create one case link (IP report or victim record) and its timeline entry."""
    link, created = link_model.objects.get_or_create(
        case=locked, **{field: record}, defaults={"added_by": actor, "added_at": at}
    )
    if not created:
        raise ValidationError({field: already})
    CaseEvent.objects.create(case=locked, actor=actor, at=at, action=action, **{field: record})
    return link


def _link_remove(
    *,
    actor: User,
    locked: Case,
    link_model: Any,
    field: str,
    record: Any,
    action: str,
    at: datetime,
    missing: str,
) -> None:
    """Delete one case link; the timeline keeps both the link and its removal."""
    deleted, _kinds = link_model.objects.filter(case=locked, **{field: record}).delete()
    if not deleted:
        raise ValidationError({field: missing})
    CaseEvent.objects.create(case=locked, actor=actor, at=at, action=action, **{field: record})


@transaction.atomic
def case_report_add(
    *, actor: User, case: Case, report_id: object, now: datetime | None = None
) -> CaseReport:
    """Link an IP report the analyst can see to a case (Http404 if missing or hidden).

    The link never widens the report's audience: case pages list it only to viewers who may
    see the report in its own right.
    """
    locked = _locked_case(actor=actor, case=case)
    report = indicator_selectors.report_get(user=actor, report_id=report_id)
    return _link_add(
        actor=actor,
        locked=locked,
        link_model=CaseReport,
        field="report",
        record=report,
        action=CaseEventAction.REPORT_ADDED,
        at=_now(now),
        already=_("This IP report is already linked to the case."),
    )


@transaction.atomic
def case_report_remove(
    *, actor: User, case: Case, report_id: object, now: datetime | None = None
) -> None:
    """Unlink an IP report (the analyst must still be able to see it); the timeline keeps both."""
    locked = _locked_case(actor=actor, case=case)
    report = indicator_selectors.report_get(user=actor, report_id=report_id)
    _link_remove(
        actor=actor,
        locked=locked,
        link_model=CaseReport,
        field="report",
        record=report,
        action=CaseEventAction.REPORT_REMOVED,
        at=_now(now),
        missing=_("This IP report is not linked to the case."),
    )


@transaction.atomic
def case_victim_add(
    *, actor: User, case: Case, victim_id: object, now: datetime | None = None
) -> CaseVictim:
    """Link a victim record the analyst can see to a case (Http404 if missing or hidden).

    Only the record's id is stored; its identity is never read here (no access-log entry).
    """
    locked = _locked_case(actor=actor, case=case)
    victim = victim_selectors.victim_get(user=actor, pk=victim_id)
    return _link_add(
        actor=actor,
        locked=locked,
        link_model=CaseVictim,
        field="victim",
        record=victim,
        action=CaseEventAction.VICTIM_ADDED,
        at=_now(now),
        already=_("This victim record is already linked to the case."),
    )


@transaction.atomic
def case_victim_remove(
    *, actor: User, case: Case, victim_id: object, now: datetime | None = None
) -> None:
    """Unlink a victim record (the analyst must still be able to see it)."""
    locked = _locked_case(actor=actor, case=case)
    victim = victim_selectors.victim_get(user=actor, pk=victim_id)
    _link_remove(
        actor=actor,
        locked=locked,
        link_model=CaseVictim,
        field="victim",
        record=victim,
        action=CaseEventAction.VICTIM_REMOVED,
        at=_now(now),
        missing=_("This victim record is not linked to the case."),
    )


@transaction.atomic
def case_update(*, actor: User, case: Case, status: str, lead_analyst: User | None = None) -> Case:
    """Change a case's status or lead analyst."""
    locked = _locked_case(actor=actor, case=case)
    if status not in CaseStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if lead_analyst is not None:
        if not is_police_analyst(lead_analyst):
            raise ValidationError({"lead_analyst": _("The lead analyst is a police analyst.")})
        locked.lead_analyst = lead_analyst
    if status != locked.status:
        CaseEvent.objects.create(
            case=locked,
            actor=actor,
            action=CaseEventAction.STATUS,
            text=str(CaseStatus(status).label),
        )
    locked.status = status
    locked.full_clean(exclude=["shared_with"])
    locked.save(update_fields=["status", "lead_analyst"])
    return locked


@transaction.atomic
def case_task_add(
    *,
    actor: User,
    case: Case,
    title: str,
    assignee: User | None = None,
    due_date: date | None = None,
) -> CaseTask:
    """Add a task to a case; its assignee must be able to see the case."""
    locked = _locked_case(actor=actor, case=case)
    if assignee is not None and not Case.objects.visible_to(assignee).filter(pk=locked.pk).exists():
        raise ValidationError({"assignee": _("The assignee cannot see this case.")})
    task = CaseTask(
        case=locked, title=title.strip(), assignee=assignee, due_date=due_date, created_by=actor
    )
    task.full_clean()
    task.save()
    CaseEvent.objects.create(
        case=locked, actor=actor, action=CaseEventAction.TASK_ADDED, text=task.title[:300]
    )
    return task


@transaction.atomic
def case_task_done(*, actor: User, task: CaseTask, now: datetime | None = None) -> CaseTask:
    """Mark a task done."""
    locked_case = _locked_case(actor=actor, case=task.case)
    locked = CaseTask.objects.select_for_update().get(pk=task.pk, case=locked_case)
    if not locked.done:
        locked.done, locked.done_at = True, _now(now)
        locked.save(update_fields=["done", "done_at"])
        CaseEvent.objects.create(
            case=locked_case,
            actor=actor,
            at=locked.done_at,
            action=CaseEventAction.TASK_DONE,
            text=locked.title[:300],
        )
    return locked


# --- access requests -----------------------------------------------------------------------


@transaction.atomic
def access_request_create(*, actor: User, via_lead: Lead, note: str = "") -> int:
    """Ask the owners of the hidden leads that correlate with `via_lead` for access.

    One request per hidden lead; the requester learns only how many were sent. Returns that
    number (0 when every correlated lead is already visible or already asked for).
    """
    if not actor.workspace_id or not can_submit(actor):
        raise PermissionDenied(_("Only officers of a workspace request access."))
    locked = _locked_lead(actor=actor, lead=via_lead)
    visible = Lead.objects.visible_to(actor).values("pk")
    pending = AccessRequest.objects.filter(
        requester_workspace_id=actor.workspace_id, state=AccessRequestState.PENDING
    ).values("lead_id")
    targets = (
        Lead.objects.filter(kind=locked.kind, key=locked.key)
        .exclude(workspace_id=actor.workspace_id)
        .exclude(pk__in=visible)
        .exclude(pk__in=pending)
    )
    made = 0
    for target in targets:
        request = AccessRequest(
            lead=target,
            via_lead=locked,
            requester=actor,
            requester_workspace_id=actor.workspace_id,
            note=note.strip(),
        )
        request.full_clean()
        request.save()
        made += 1
        _notify_workspace(
            record=target,
            workspace_id=target.workspace_id,
            kind="access_request",
            title=_("Another workspace asks for access to one of your leads"),
            url=reverse("cases:access_requests"),
            event_key=f"access-{request.pk}",
        )
    return made


@transaction.atomic
def access_request_decide(
    *, actor: User, access_request: AccessRequest, approve: bool, now: datetime | None = None
) -> AccessRequest:
    """The owner workspace approves (shares the lead with the requester) or declines; audited."""
    locked = AccessRequest.objects.select_for_update().filter(pk=access_request.pk).first()
    if locked is None:
        raise PermissionDenied(_("Only the owner workspace decides."))
    lead = _locked_lead(actor=actor, lead=locked.lead)
    assert_can_write(actor=actor, record=lead)
    if locked.state != AccessRequestState.PENDING:
        raise ValidationError(_("This request was already decided."))
    at = _now(now)
    locked.state = AccessRequestState.APPROVED if approve else AccessRequestState.DECLINED
    locked.decided_by, locked.decided_at = actor, at
    locked.save(update_fields=["state", "decided_by", "decided_at"])
    if approve:
        audience_set(
            actor=actor,
            record=lead,
            tlp=lead.tlp,
            police_access=lead.police_access,
            shared_with_all=lead.shared_with_all,
            workspaces=[*lead.shared_with.all(), locked.requester_workspace],
        )
        # The history is read by the whole audience, and only the owner sees whom a record is
        # shared with by name: the request itself (owner-only) keeps who asked.
        text = _("access granted on request")
    else:
        text = _("an access request was declined")
    LeadEvent.objects.create(
        lead=lead, actor=actor, at=at, action=LeadEventAction.ACCESS, text=text
    )
    # The requester hears through its own lead: the declined lead stays out of its sight.
    via_lead = locked.via_lead  # None (no query) when the request named no lead of its own
    if via_lead is not None:
        notify(
            recipients=User.objects.filter(pk=locked.requester_id),
            record=via_lead,
            kind="access_decided",
            title=_("Your access request was %(s)s") % {"s": locked.get_state_display().lower()},
            url=lead_url(lead) if approve else lead_url(via_lead),
            event_key=f"access-{locked.pk}-decided",
        )
    return locked
