"""Reads of the IP exchange. Reports and matches always go through the viewer's audience."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from sharing.selectors import NOT_FOUND_MESSAGE, Correlation, correlation_for, record_get

from .addresses import Network, network_parse
from .choices import NetworkKind
from .models import Compound, IPReport, Match, NetworkEvidence, UploadJob, WarnListEntry
from .permissions import can_curate, can_view_catalogue

if TYPE_CHECKING:
    from embassies.models import User


M = TypeVar("M", bound=Model)


def _not_found() -> Http404:
    return Http404(_(NOT_FOUND_MESSAGE))


def report_list(
    *,
    user: User,
    mine: bool = False,
    state: str = "",
    compound_id: int | None = None,
    q: str = "",
) -> QuerySet[IPReport]:
    """Reports the user may see, newest first; `mine` narrows to the user's workspace, `q`
    to one address or the addresses within a prefix (nothing for text that is neither)."""
    qs = IPReport.objects.visible_to(user).select_related("workspace__delegation")
    if q:
        qs = qs.filter(address_within(q))
    if mine:
        qs = qs.filter(workspace_id=user.workspace_id or 0)
    qs = qs.in_state(state)
    if compound_id is not None:
        qs = qs.filter(matches__compound_id=compound_id, matches__withdrawn_at__isnull=True)
        qs = qs.distinct()
    return qs


def network_of(text: str) -> Network | None:
    """An address (as a one-address prefix) or a CIDR prefix, normalised; None if neither."""
    text = (text or "").strip()
    if not text or len(text) > 60 or "\x00" in text:
        return None
    try:
        return network_parse(text.strip("[]"))
    except ValueError:
        return None


def address_within(text: str) -> Q:
    """Reports of this address, or of any address inside this prefix: a range on the key
    index (`ind_report_key`), never a scan; no report for text that is no address."""
    net = network_of(text)
    if net is None:
        return Q(pk__in=[])
    if net.first == net.last:
        return Q(address_key=net.first)
    return Q(address_key__gte=net.first, address_key__lte=net.last)


def report_search(*, user: User, network: str) -> QuerySet[IPReport]:
    """The global search's IP reports: this address, or every address within this prefix,
    among the reports the user may see, newest first."""
    return report_list(user=user, q=network)


def compound_search(*, user: User, text: str = "", network: str = "") -> list[Compound]:
    """Catalogue compounds whose name or an alias contains `text`, or one of whose catalogued
    prefixes overlaps `network` (an address or a prefix). The catalogue is no secret to its
    readers, but it is read through `compound_list`, so only they find anything."""
    base = compound_list(user=user)
    condition = Q(pk__in=[])
    folded = " ".join(text.split()).casefold()
    if len(folded) >= 2:
        # Aliases are a JSON list, matched here rather than as JSON text in SQL (escaped
        # differently on each database); the catalogue is a few hundred rows at most.
        ids = [
            pk
            for pk, name, aliases in base.values_list("pk", "name", "aliases")
            if folded in name.casefold()
            or any(isinstance(a, str) and folded in a.casefold() for a in aliases or [])
        ]
        condition |= Q(pk__in=ids)
    net = network_of(network) if network else None
    if net is not None:
        evidence = NetworkEvidence.objects.filter(
            kind=NetworkKind.PREFIX, first_key__lte=net.last, last_key__gte=net.first
        )
        condition |= Q(pk__in=evidence.values("compound_id"))
    return list(base.filter(condition).order_by("name"))


def report_get(*, user: User, report_id: object) -> IPReport:
    """One report in the user's audience; the same 404 for missing and hidden."""
    return record_get(
        queryset=IPReport.objects.with_state().select_related(
            "workspace__delegation", "created_by"
        ),
        user=user,
        pk=report_id,
    )


def report_matches(*, report: IPReport) -> list[Match]:
    """All matches of a report the caller already may see, active first, with history."""
    return list(
        report.matches.select_related("compound", "evidence").order_by(
            "-withdrawn_at", "-created_at"
        )
    )


def report_correlation(*, user: User, report: IPReport) -> Correlation:
    """Other delegations that reported the same address, or one in a prefix it matched."""
    match = Q(address_key=report.address_key)
    prefixes = (
        report.matches.filter(withdrawn_at__isnull=True, kind=NetworkKind.PREFIX)
        .values_list("matched_network", flat=True)
        .distinct()
    )
    for prefix in prefixes:
        net = network_parse(prefix)
        match |= Q(address_key__gte=net.first, address_key__lte=net.last)
    return correlation_for(
        queryset=IPReport.objects.all(),
        user=user,
        match=match,
        exclude_workspace_id=report.workspace_id,
    )


def match_list(
    *,
    user: User,
    compound_id: int | None = None,
    include_withdrawn: bool = False,
    since: datetime | None = None,
    mine: bool = False,
) -> QuerySet[Match]:
    """Matches of reports in the user's audience (one subquery over `visible_to`).

    `since`: found at or after that moment; `mine`: of the user's workspace's own reports.
    """
    qs = Match.objects.visible_to(user).select_related("compound", "report__workspace__delegation")
    if not include_withdrawn:
        qs = qs.active()
    if compound_id is not None:
        qs = qs.filter(compound_id=compound_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if mine:
        qs = qs.filter(report__workspace_id=user.workspace_id or 0)
    return qs


def match_get(*, user: User, match_id: object) -> Match:
    """One match whose report is in the user's audience; the same 404 for missing and hidden."""
    try:
        pk = int(str(match_id))
    except ValueError:
        raise _not_found() from None
    match = (
        Match.objects.visible_to(user)
        .select_related("compound", "evidence", "warn_entry", "report__workspace__delegation")
        .filter(pk=pk)
        .first()
    )
    if match is None:
        raise _not_found()
    return match


def upload_job_get(*, user: User, job_id: object) -> UploadJob:
    """A long upload of the user's own workspace; the same 404 for missing and other's jobs."""
    try:
        pk = int(str(job_id))
    except ValueError:
        raise _not_found() from None
    job = (
        UploadJob.objects.defer("rows")  # up to 10,000 rows; the page refreshes every 2 s
        .filter(pk=pk, workspace_id=user.workspace_id or 0)
        .first()
    )
    if job is None:
        raise _not_found()
    return job


def compound_list(*, user: User) -> QuerySet[Compound]:
    if not can_view_catalogue(user):
        return Compound.objects.none()
    return Compound.objects.annotate(evidence_count=Count("evidence", distinct=True))


def compound_get(*, user: User, compound_id: int | str | None) -> Compound:
    if compound_id is None:  # no id, no compound: the same 404
        raise _not_found()
    try:
        compound = compound_list(user=user).filter(pk=compound_id).first()
    except (TypeError, ValueError):
        compound = None
    if compound is None:
        raise _not_found()
    return compound


def evidence_list(*, user: User, compound_id: int | None = None) -> QuerySet[NetworkEvidence]:
    if not can_view_catalogue(user):
        return NetworkEvidence.objects.none()
    qs = NetworkEvidence.objects.select_related("compound")
    if compound_id is not None:
        qs = qs.filter(compound_id=compound_id)
    return qs


def evidence_get_for_edit(*, user: User, evidence_id: int | str) -> NetworkEvidence:
    if not can_curate(user):
        raise _not_found()
    try:
        evidence = evidence_list(user=user).filter(pk=evidence_id).first()
    except (TypeError, ValueError):
        evidence = None
    if evidence is None:
        raise _not_found()
    return evidence


def warn_list(*, user: User) -> QuerySet[WarnListEntry]:
    if not can_view_catalogue(user):
        return WarnListEntry.objects.none()
    return WarnListEntry.objects.all()


def warn_get_for_edit(*, user: User, entry_id: int | str) -> WarnListEntry:
    if not can_curate(user):
        raise _not_found()
    try:
        entry = WarnListEntry.objects.filter(pk=entry_id).first()
    except (TypeError, ValueError):
        entry = None
    if entry is None:
        raise _not_found()
    return entry


def report_prefetch_matches() -> Prefetch:
    """Active matches with their compound, for list pages (one extra query per page)."""
    return Prefetch(
        "matches",
        queryset=Match.objects.active().select_related("compound"),
        to_attr="active_matches",
    )


def none_of(model: type[M]) -> QuerySet[M]:
    """An empty queryset, for schema generation (which has no user to filter by)."""
    return model._default_manager.none()
