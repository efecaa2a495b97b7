"""The role dashboards at `/`: what waits for the person who signed in, counted in their audience.

Dashboards read every app, so they sit at the top with `exchange/`. Every figure comes from the
selector of the list it links to (the same audience filter, the same narrowing), so a figure can
never count a record its reader may not see, and following its link shows exactly those rows.
Each card is one aggregate query, so a dashboard costs the same number of queries whatever the
data. A card is a small value object; chart and map cards (KPI and map issues) slot in beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import selectors as cases
from cases.choices import FREEZE_OPEN_STATES, AccessRequestState, CaseStatus, LeadStatus
from cases.querysets import REVIEW_STATUSES
from embassies import selectors as embassies
from embassies.models import Delegation, Invitation, User
from embassies.permissions import is_platform_admin, is_police_analyst, is_workspace_admin
from indicators import selectors as indicators
from victims import selectors as victims
from victims.choices import VictimStatus

# The session key where sign-in keeps the previous sign-in (see exchange.apps).
PREVIOUS_LOGIN = "exchange_previous_login"
# "New" for a person signing in for the first time.
FIRST_VISIT_WINDOW = timedelta(days=7)
TOP_FREEZES = 5
# Where a victim record's path has ended: no next step is waiting.
VICTIM_DONE = (VictimStatus.HOME, VictimStatus.CLOSED)


@dataclass(frozen=True)
class Figure:
    """One number on a card, with the list that shows exactly those records."""

    label: Any
    value: int
    url: str
    attention: bool = False


@dataclass
class Card:
    """A dashboard card: a title, its figures, optionally rows (e.g. the oldest freezes)."""

    key: str
    title: Any
    figures: list[Figure] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)
    empty: Any = ""
    template: str = "exchange/dashboard/_card.html"

    @property
    def total(self) -> int:
        return sum(f.value for f in self.figures)


@dataclass
class Dashboard:
    cards: list[Card]
    since: datetime
    since_is_last_sign_in: bool
    actions: list[tuple[Any, str]] = field(default_factory=list)
    delegations: list[Delegation] | None = None


def _url(name: str, **query: object) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def last_visit(session: Any, *, now: datetime) -> tuple[datetime, bool]:
    """The previous sign-in (stored at sign-in), or a week ago for a first visit."""
    raw = session.get(PREVIOUS_LOGIN) if session is not None else None
    if raw:
        try:
            return datetime.fromisoformat(raw), True
        except ValueError:
            pass
    return now - FIRST_VISIT_WINDOW, False


def dashboard_for(*, user: User, session: Any = None, now: datetime | None = None) -> Dashboard:
    """The cards of every role the user holds, in the order they act on them."""
    now = now or timezone.now()
    since, is_last = last_visit(session, now=now)
    cards: list[Card] = []
    analyst = is_police_analyst(user)
    if analyst:
        cards += [_freezes(user, now), _review(user), _new_matches(user, since, mine=False)]
        cards.append(_cases_assigned(user))
    if user.workspace_id:
        if not analyst:
            cards.append(_new_matches(user, since, mine=True))
            cards.append(_my_leads(user))
        cards.append(_access_requests(user))
        cards.append(_victims(user))
        if user.workspace and is_workspace_admin(user, user.workspace):
            cards.append(_delegation_admin(user, now))
    actions: list[tuple[Any, str]] = []
    if user.workspace_id:
        actions += [
            (_("Report an IP"), reverse("indicators:report_submit")),
            (_("Share a lead"), reverse("cases:lead_new")),
            (_("New victim record"), reverse("victims:create")),
        ]
    delegations = None
    if is_platform_admin(user):
        actions.append((_("Onboard a delegation"), reverse("delegation_onboard")))
        delegations = delegation_activity(user=user, now=now)
    return Dashboard(
        cards=cards,
        since=since,
        since_is_last_sign_in=is_last,
        actions=actions,
        delegations=delegations,
    )


# --- police analysts ---------------------------------------------------------------------


def _freezes(user: User, now: datetime) -> Card:
    queue = cases.freeze_queue(user=user, now=now)
    counts = queue.aggregate(
        open=Count("id", filter=Q(state__in=FREEZE_OPEN_STATES)),
        overdue=Count(
            "id",
            filter=Q(state__in=FREEZE_OPEN_STATES, reported_at__lt=cases.overdue_cutoff(now)),
        ),
    )
    oldest = list(queue.filter(state__in=FREEZE_OPEN_STATES)[:TOP_FREEZES])
    return Card(
        key="freezes",
        title=_("Freeze requests"),
        figures=[
            Figure(
                _("overdue"),
                counts["overdue"],
                _url("cases:freeze_queue", overdue=1),
                attention=counts["overdue"] > 0,
            ),
            Figure(_("open"), counts["open"], _url("cases:freeze_queue")),
        ],
        rows=[(f, cases.freeze_clock(f, now=now)) for f in oldest],
        empty=_("No account waits for a freeze."),
        template="exchange/dashboard/_freezes.html",
    )


def _review(user: User) -> Card:
    queue = cases.review_queue(user=user)
    counts = queue.aggregate(**{s.value: Count("id", filter=Q(status=s)) for s in REVIEW_STATUSES})
    returned = cases.lead_list(user=user, filters={"status": LeadStatus.RETURNED}).count()
    figures = [
        Figure(s.label, counts[s.value], _url("cases:review_queue", status=s.value))
        for s in REVIEW_STATUSES
    ]
    figures.append(
        Figure(
            LeadStatus.RETURNED.label,
            returned,
            _url("cases:lead_list", all=1, status=LeadStatus.RETURNED),
        )
    )
    return Card(key="review", title=_("Review queue"), figures=figures)


def _cases_assigned(user: User) -> Card:
    count = cases.case_list(user=user, filters={"mine": True, "status": CaseStatus.OPEN}).count()
    return Card(
        key="cases",
        title=_("Cases I lead"),
        figures=[Figure(_("open"), count, _url("cases:case_list", mine=1, status=CaseStatus.OPEN))],
    )


# --- everyone in a workspace -------------------------------------------------------------


def _new_matches(user: User, since: datetime, *, mine: bool) -> Card:
    count = indicators.match_list(user=user, since=since, mine=mine).count()
    query: dict[str, object] = {"since": since.isoformat()}
    if mine:
        query["mine"] = 1
    return Card(
        key="matches",
        title=_("New compound matches") if not mine else _("New matches of our reports"),
        figures=[
            Figure(_("new"), count, _url("indicators:match_list", **query), attention=count > 0)
        ],
    )


def _my_leads(user: User) -> Card:
    rows = (
        cases.lead_list(user=user, filters={"mine": True})
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    return Card(
        key="leads",
        title=_("Our leads by review status"),
        figures=[
            Figure(s.label, counts.get(s.value, 0), _url("cases:lead_list", status=s.value))
            for s in LeadStatus
        ],
    )


def _access_requests(user: User) -> Card:
    count = (
        cases.access_requests_incoming(user=user).filter(state=AccessRequestState.PENDING).count()
    )
    return Card(
        key="access",
        title=_("Access requests for our leads"),
        figures=[
            Figure(
                _("awaiting our decision"),
                count,
                _url("cases:access_requests"),
                attention=count > 0,
            )
        ],
    )


def _victims(user: User) -> Card:
    rows = (
        victims.victim_list(user=user, owned=True)
        .exclude(status__in=VICTIM_DONE)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = {row["status"]: row["n"] for row in rows}
    return Card(
        key="victims",
        title=_("Our nationals needing a next step"),
        figures=[
            Figure(s.label, counts[s.value], _url("victims:list", status=s.value))
            for s in VictimStatus
            if counts.get(s.value)
        ],
        empty=_("No record waits for a next step."),
    )


# --- delegation and platform admins ------------------------------------------------------


def _delegation_admin(user: User, now: datetime) -> Card:
    workspace = user.workspace
    assert workspace is not None
    members_url = reverse("members", args=[workspace.slug])
    members = embassies.member_list(workspace=workspace).count()
    invitations = (
        embassies.invitation_list(workspace=workspace)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        .count()
    )
    tokens = embassies.api_token_list_for_workspace(workspace=workspace).count()
    return Card(
        key="delegation",
        title=_("Our delegation"),
        figures=[
            Figure(_("members"), members, members_url),
            Figure(_("pending invitations"), invitations, members_url + "#invitations"),
            Figure(_("live API tokens"), tokens, members_url + "#tokens"),
        ],
    )


def delegation_activity(*, user: User, now: datetime | None = None) -> list[Delegation]:
    """Every delegation with its members' activity, for the platform admin (one query).

    Only people and sign-ins are counted here, never records: the platform admin is not in
    the audience of other delegations' records, so not even their number is shown.
    """
    now = now or timezone.now()

    def per_workspace(qs: Any, column: Any) -> Coalesce:
        return Coalesce(Subquery(qs.values("workspace").annotate(v=column).values("v")), 0)

    members = User.objects.filter(workspace=OuterRef("workspace"), is_active=True)
    pending = Invitation.objects.filter(
        workspace=OuterRef("workspace"),
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    return list(
        embassies.delegation_list(user=user)
        .annotate(
            active_30d=per_workspace(
                members.filter(last_login__gte=now - timedelta(days=30)), Count("id")
            ),
            invitations_pending=per_workspace(pending, Count("id")),
            last_sign_in=Subquery(
                members.values("workspace").annotate(v=Max("last_login")).values("v")
            ),
        )
        .order_by("name")
    )
