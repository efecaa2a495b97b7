"""Reads: every list goes through `visible_to(user)`; one 404 for missing and hidden records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.conf import settings
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from embassies.permissions import is_police_analyst
from indicators import selectors as indicator_selectors
from indicators.addresses import address_parse
from indicators.models import IPReport
from sharing.selectors import NOT_FOUND_MESSAGE, Correlation, correlation_for, record_get
from victims import selectors as victim_selectors

from . import search_terms
from .choices import FREEZE_OPEN_STATES, AccessRequestState, LeadKind
from .models import (
    AccessRequest,
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
from .models import Case as CaseRecord
from .normalise import query_keys
from .querysets import REVIEW_STATUSES, LeadQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from embassies.models import User


class FreezeFlags(TypedDict):
    """The flags every freeze-request row carries (see `freeze_list`)."""

    is_open: bool
    overdue: bool


# --- leads ---------------------------------------------------------------------------------


def lead_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Lead]:
    """Leads in the user's audience, newest first, narrowed by `filters`.

    Filters: `mine` (the user's workspace only), `kind`, `status`, `q` (a value, normalised
    with the kind's parser and matched on the indexed key), `compound` (text in the compound
    references), `since` / `until` (dates of submission).
    """
    filters = filters or {}
    qs = Lead.objects.visible_to(user).for_list()
    if filters.get("mine"):
        qs = qs.filter(workspace_id=user.workspace_id) if user.workspace_id else qs.none()
    kind = filters.get("kind") or None
    if kind:
        qs = qs.filter(kind=kind)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        qs = qs.filter(value_match(filters["q"], kind))
    if filters.get("compound"):
        qs = qs.filter(compound_refs__icontains=filters["compound"])
    if filters.get("since"):
        qs = qs.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(created_at__date__lte=filters["until"])
    return qs


def as_rows(qs: QuerySet[Lead]) -> QuerySet[Lead]:
    """A lead list narrowed to the columns the list pages' rows show (see `for_rows`)."""
    return cast("LeadQuerySet", qs).for_rows()


def value_match(query: str, kind: str | None) -> Q:
    """Exact matches on the normalised key (an index lookup), never a scan of values.

    The query is read in the kind's own shape ("KBank 123-4-56789-0") and, as the global
    search reads it, as a bare value: `1234567890` finds that account number in every bank,
    `@name` that handle on every platform (the `bare_key` index).
    """
    condition = Q(pk__in=[])
    for pair_kind, key in query_keys(query, kind):
        if pair_kind == LeadKind.PERSON:
            # A name search also finds the same name with any date of birth.
            condition |= Q(kind=pair_kind, key__startswith=key)
        else:
            condition |= Q(kind=pair_kind, key=key)
    for lead_kind, match in reading_matches(search_terms.recognise(query)):
        if not kind or kind == lead_kind:
            condition |= match
    return condition


def reading_matches(readings: list[search_terms.Reading]) -> list[tuple[str, Q]]:
    """(lead kind, condition) for each reading of a search that a lead's value can match.

    Each condition is an equality on an index (`cases_lead_kind_key`, `cases_lead_bare_key`),
    or, for a person's name, a prefix of the key, which starts with the name.
    """
    out: list[tuple[str, Q]] = []
    for reading in readings:
        value = reading.value
        if reading.kind == search_terms.IP:
            out.append((LeadKind.IP, Q(kind=LeadKind.IP, key=value)))
        elif reading.kind == search_terms.PHONE:
            out.append((LeadKind.PHONE, Q(kind=LeadKind.PHONE, key=value)))
            # A WhatsApp or Signal handle is the phone number itself.
            handles = [f"whatsapp:{value}", f"signal:{value}"]
            out.append((LeadKind.HANDLE, Q(kind=LeadKind.HANDLE, key__in=handles)))
        elif reading.kind == search_terms.ACCOUNT:
            out.append((LeadKind.BANK_ACCOUNT, Q(kind=LeadKind.BANK_ACCOUNT, bare_key=value)))
        elif reading.kind == search_terms.WALLET:
            out.append((LeadKind.CRYPTO_WALLET, Q(kind=LeadKind.CRYPTO_WALLET, bare_key=value)))
        elif reading.kind == search_terms.DOMAIN:
            out.append((LeadKind.DOMAIN, Q(kind=LeadKind.DOMAIN, key=value)))
        elif reading.kind == search_terms.HANDLE:
            match = (
                Q(kind=LeadKind.HANDLE, key=reading.key)
                if reading.key
                else Q(kind=LeadKind.HANDLE, bare_key=value)
            )
            out.append((LeadKind.HANDLE, match))
        elif reading.kind == search_terms.NAME:
            out.append((LeadKind.PERSON, Q(kind=LeadKind.PERSON, key__startswith=value)))
    return out


def lead_search_readings(*, user: User, readings: list[search_terms.Reading]) -> QuerySet[Lead]:
    """The global search's leads: those whose value matches a reading, newest first, in the
    user's audience; none when no reading is a lead's kind of value."""
    matches = reading_matches(readings)
    if not matches:
        return Lead.objects.none()
    condition = Q(pk__in=[])
    for _kind, match in matches:
        condition |= match
    return as_rows(Lead.objects.visible_to(user).for_list().filter(condition))


def leads_none() -> QuerySet[Lead]:
    """An empty lead queryset (schema generation has no user)."""
    return Lead.objects.none()


def lead_search(
    *,
    user: User,
    q: str,
    kind: str | None = None,
    status: str | None = None,
    compound: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Lead]:
    """Search leads by value (normalised), kind, status, compound and date, within the audience."""
    return lead_list(
        user=user,
        filters={
            "q": q,
            "kind": kind,
            "status": status,
            "compound": compound,
            "since": since,
            "until": until,
        },
    )


def review_queue(*, user: User, status: str = "") -> QuerySet[Lead]:
    """Leads waiting on police (new, under review, actionable), oldest first. Analysts only.

    `status` narrows to one of those (the dashboard links to each); another value is ignored.
    """
    if not is_police_analyst(user):
        return Lead.objects.none()
    qs = Lead.objects.visible_to(user).filter(police_access=True).in_review()
    if status in REVIEW_STATUSES:
        qs = qs.filter(status=status)
    return qs.for_list().order_by("created_at", "id")


def lead_get(*, user: User, lead_id: object) -> Lead:
    """One lead, if the user may see it; the same Http404 for missing and hidden."""
    return record_get(
        queryset=Lead.objects.for_list().select_related("reviewer"), user=user, pk=lead_id
    )


def lead_history(*, lead: Lead) -> QuerySet[LeadEvent]:
    """A (visible) lead's history, oldest first."""
    return LeadEvent.objects.filter(lead=lead).select_related("actor")


def lead_comments(*, lead: Lead) -> QuerySet[LeadComment]:
    return LeadComment.objects.filter(lead=lead).select_related("author")


def lead_correlation(*, user: User, lead: Lead) -> Correlation:
    """Other workspaces' leads with the same normalised value: shown if visible, else counted."""
    return correlation_for(
        queryset=Lead.objects.all(),
        user=user,
        match=Q(kind=lead.kind, key=lead.key),
        exclude_workspace_id=lead.workspace_id,
    )


def lead_ip_reports(*, user: User, lead: Lead) -> Correlation | None:
    """For an IP-address lead: the IP reports of the same address the user may see (any
    workspace), and how many other delegations reported it without the user seeing it (counted,
    never named). None for other kinds."""
    if lead.kind != LeadKind.IP:
        return None
    try:
        key = address_parse(lead.key).key  # the indicators app's normalised form
    except ValueError:
        return Correlation()
    return correlation_for(
        queryset=IPReport.objects.all(),
        user=user,
        match=Q(address_key=key),
        exclude_workspace_id=None,
    )


def access_requests_pending_from(*, user: User, via_lead: Lead) -> int:
    """How many access requests the user's workspace has pending from this lead."""
    if not user.workspace_id:
        return 0
    return AccessRequest.objects.filter(
        via_lead=via_lead,
        requester_workspace_id=user.workspace_id,
        state=AccessRequestState.PENDING,
    ).count()


# --- freeze requests -----------------------------------------------------------------------


def overdue_cutoff(now: datetime | None = None) -> datetime:
    """Accounts reported before this moment and still not frozen are overdue."""
    return (now or timezone.now()) - timedelta(minutes=settings.FREEZE_OVERDUE_MINUTES)


def freeze_list(*, user: User, now: datetime | None = None) -> QuerySet[FreezeRequest]:
    """Freeze requests on leads the user may see; overdue ones first, then oldest report first.

    Each row carries `overdue` (not frozen within FREEZE_OVERDUE_MINUTES of the report) and
    `is_open` (the clock still runs).
    """
    visible = Lead.objects.visible_to(user).filter(pk=OuterRef("lead_id"))
    return (
        FreezeRequest.objects.filter(Exists(visible))
        .annotate(
            is_open=Case(
                When(state__in=FREEZE_OPEN_STATES, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            overdue=Case(
                When(
                    state__in=FREEZE_OPEN_STATES,
                    reported_at__lt=overdue_cutoff(now),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .select_related("lead__workspace__delegation", "requested_by")
        .order_by("-overdue", "-is_open", "reported_at", "id")
    )


def freeze_queue(
    *, user: User, now: datetime | None = None, overdue: bool = False
) -> QuerySet[FreezeRequest]:
    """The analysts' queue: open and frozen requests, overdue first (`overdue`: only those)."""
    if not is_police_analyst(user):
        return FreezeRequest.objects.none()
    qs = freeze_list(user=user, now=now).filter(state__in=[*FREEZE_OPEN_STATES, "frozen"])
    if overdue:
        qs = qs.filter(state__in=FREEZE_OPEN_STATES, reported_at__lt=overdue_cutoff(now))
    return qs


def freeze_get(*, user: User, freeze_id: int | str, now: datetime | None = None) -> FreezeRequest:
    """One freeze request whose lead the user may see; the same Http404 otherwise."""
    try:
        freeze = freeze_list(user=user, now=now).filter(pk=freeze_id).first()
    except (TypeError, ValueError):
        freeze = None
    if freeze is None:
        raise Http404(_(NOT_FOUND_MESSAGE))
    return freeze


def freezes_for_lead(
    *, lead: Lead, now: datetime | None = None
) -> list[WithAnnotations[FreezeRequest, FreezeFlags]]:
    """A (visible) lead's freeze requests, newest first, with the same flags as the queue."""
    cutoff = overdue_cutoff(now)
    # The flags are set on each row below, as `freeze_list` annotates them.
    rows = cast(
        "list[WithAnnotations[FreezeRequest, FreezeFlags]]",
        list(FreezeRequest.objects.filter(lead=lead).order_by("-requested_at", "-id")),
    )
    for row in rows:
        row.is_open = row.state in FREEZE_OPEN_STATES
        row.overdue = row.is_open and row.reported_at < cutoff
    return rows


@dataclass(frozen=True)
class Clock:
    """A freeze request's clock: how long since the account was reported, and whether overdue."""

    elapsed: timedelta
    overdue: bool
    running: bool


def freeze_clock(freeze: FreezeRequest, *, now: datetime | None = None) -> Clock:
    now = now or timezone.now()
    running = freeze.state in FREEZE_OPEN_STATES
    end = now if running or freeze.frozen_at is None else freeze.frozen_at
    elapsed = max(end - freeze.reported_at, timedelta(0))
    limit = timedelta(minutes=settings.FREEZE_OVERDUE_MINUTES)
    return Clock(elapsed=elapsed, overdue=running and elapsed > limit, running=running)


# --- cases ---------------------------------------------------------------------------------


def case_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[CaseRecord]:
    """Cases in the user's audience, newest first; `status`; `mine` (I am the lead analyst);
    `q` finds a case by its number (CASE-000123) or words in its title."""
    filters = filters or {}
    qs = CaseRecord.objects.visible_to(user).select_related("lead_analyst", "workspace__delegation")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("mine"):
        qs = qs.filter(lead_analyst=user)
    if filters.get("q"):
        readings = search_terms.recognise(filters["q"])
        numbers = [int(r.value) for r in readings if r.kind == search_terms.CASE_REF]
        words = next((r.value for r in readings if r.kind == search_terms.TEXT), "")
        qs = qs.filter(case_match(numbers=numbers, words=words))
    return qs


def case_match(*, numbers: list[int], words: str) -> Q:
    """Cases by number, or by words in the title (cases are few: a scan of the audience's)."""
    condition = Q(pk__in=[n for n in numbers if n < 2**63])
    if len(words) >= 2:
        condition |= Q(title__icontains=words)
    return condition


def case_search(*, user: User, readings: list[search_terms.Reading]) -> QuerySet[CaseRecord]:
    """The global search's cases: by number or title words, in the user's audience."""
    numbers = [int(r.value) for r in readings if r.kind == search_terms.CASE_REF]
    words = next((r.value for r in readings if r.kind == search_terms.TEXT), "")
    return case_list(user=user).filter(case_match(numbers=numbers, words=words))


def case_get(*, user: User, case_id: object) -> CaseRecord:
    return record_get(
        queryset=CaseRecord.objects.select_related("lead_analyst", "workspace__delegation"),
        user=user,
        pk=case_id,
    )


def case_leads(*, user: User, case: CaseRecord) -> QuerySet[CaseLead]:
    """The case's linked leads that the user may see in their own right (never wider)."""
    return (
        CaseLead.objects.filter(case=case, lead__in=Lead.objects.visible_to(user).values("pk"))
        .select_related("lead__workspace__delegation", "added_by")
        .order_by("added_at", "id")
    )


def _visible_report_ids(user: User) -> QuerySet:
    """IP reports the user may see in their own right (the indicators app's audience)."""
    return indicator_selectors.report_list(user=user).order_by().values("pk")


def _visible_victim_ids(user: User) -> QuerySet:
    """Victim records the user may see in their own right (the victims app's audience)."""
    return victim_selectors.victim_list(user=user).order_by().values("pk")


def case_reports(*, user: User, case: CaseRecord) -> QuerySet[CaseReport]:
    """The case's linked IP reports that the user may see in their own right (never wider)."""
    return (
        CaseReport.objects.filter(case=case, report__in=_visible_report_ids(user))
        .select_related("report__workspace__delegation", "added_by")
        .order_by("added_at", "id")
    )


def case_victims(*, user: User, case: CaseRecord) -> QuerySet[CaseVictim]:
    """The case's linked victim records that the user may see in their own right.

    Only non-identifying columns are read (reference from the id, status, compound): the
    encrypted identity is never loaded, so listing needs no access-log entry; the victims
    app's detail page (audited) shows the identity.
    """
    return (
        CaseVictim.objects.filter(case=case, victim__in=_visible_victim_ids(user))
        .annotate(
            victim_status=F("victim__status"),
            victim_compound=F("victim__located_compound"),
        )
        .select_related("added_by")
        .order_by("added_at", "id")
    )


def case_tasks(*, case: CaseRecord) -> QuerySet[CaseTask]:
    return CaseTask.objects.filter(case=case).select_related("assignee")


def case_timeline(*, user: User, case: CaseRecord) -> QuerySet[CaseEvent]:
    """The case's timeline; an entry about a lead, IP report or victim record only when the
    user may see that record (victim entries carry the reference only, never the identity)."""
    return (
        CaseEvent.objects.filter(case=case)
        .filter(Q(lead__isnull=True) | Q(lead__in=Lead.objects.visible_to(user).values("pk")))
        .filter(Q(report__isnull=True) | Q(report__in=_visible_report_ids(user)))
        .filter(Q(victim__isnull=True) | Q(victim__in=_visible_victim_ids(user)))
        .select_related("actor", "lead", "report")
    )


def case_choices_for_lead(*, user: User, lead: Lead) -> QuerySet[CaseRecord]:
    """Open cases the analyst could link this lead to (not linked yet)."""
    if not is_police_analyst(user):
        return CaseRecord.objects.none()
    return case_list(user=user, filters={"status": "open"}).exclude(lead_links__lead=lead)


# --- access requests -----------------------------------------------------------------------


def access_requests_incoming(*, user: User) -> QuerySet[AccessRequest]:
    """Requests for access to the user's workspace's leads (owners decide)."""
    workspace_id: int | None = getattr(user, "workspace_id", None)
    if not workspace_id:
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(lead__workspace_id=workspace_id).select_related(
        "lead", "requester_workspace__delegation", "requester", "decided_by"
    )


def access_requests_outgoing(*, user: User) -> QuerySet[AccessRequest]:
    """The user's workspace's own requests. The target lead is shown only once it is visible."""
    if not getattr(user, "workspace_id", None):
        return AccessRequest.objects.none()
    visible = Lead.objects.visible_to(user).filter(pk=OuterRef("lead_id"))
    return (
        AccessRequest.objects.filter(requester_workspace_id=user.workspace_id)
        .annotate(lead_visible=Exists(visible))
        .select_related("via_lead", "requester")
    )


def access_request_get_incoming(*, user: User, request_id: int | str) -> AccessRequest:
    """An incoming request the user's workspace may decide on; the same Http404 otherwise."""
    try:
        found = access_requests_incoming(user=user).filter(pk=request_id).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise Http404(_(NOT_FOUND_MESSAGE))
    return found


def analysts() -> QuerySet[User]:
    """Police analysts, for assignment choices."""
    from embassies.models import User

    return User.objects.filter(is_police_analyst=True, is_active=True).order_by("email")
