"""Reads of victim records. Every list, count, search and log goes through the audience filter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from sharing.selectors import record_get

from .crypto import lookup_hash
from .models import IDENTITY_FIELDS, AccessEvent, Screening, VictimEvent, VictimRecord
from .permissions import can_read_access_log, can_use_police_view
from .querysets import VictimRecordQuerySet

if TYPE_CHECKING:
    from embassies.models import User


def victim_list(
    *, user: User, status: str = "", compound: str = "", owned: bool = False
) -> VictimRecordQuerySet[VictimRecord]:
    """Records in the viewer's audience, newest first (one indexed query)."""
    qs = VictimRecord.objects.visible_to(user)
    if owned:
        qs = qs.owned_by(user.workspace_id) if user.workspace_id else qs.none()
    return qs.with_status(status).at_compound(compound).select_related("workspace__delegation")


def victim_police_list(
    *, user: User, status: str = "", compound: str = ""
) -> VictimRecordQuerySet[VictimRecord]:
    """Police analysts: the records shared with police, filterable by status and compound."""
    if not can_use_police_view(user):
        return VictimRecord.objects.none()
    return victim_list(user=user, status=status, compound=compound).filter(police_access=True)


def victim_get(*, user: User, pk: object) -> VictimRecord:
    """One record in the viewer's audience; the same Http404 for missing and hidden."""
    return record_get(
        queryset=VictimRecord.objects.select_related("workspace__delegation", "created_by"),
        user=user,
        pk=pk,
    )


def victim_timeline(*, record: VictimRecord) -> QuerySet[VictimEvent]:
    return record.events.select_related("actor")


def victim_screenings(*, record: VictimRecord) -> QuerySet[Screening]:
    return record.screenings.select_related("created_by")


def victim_search_passport(*, user: User, number: str) -> VictimRecordQuerySet[VictimRecord]:
    """Exact passport-number lookup through the keyed hash, within the viewer's audience."""
    digest = lookup_hash(number)
    if not digest:
        return VictimRecord.objects.none()
    return victim_list(user=user).filter(passport_hash=digest)


def victim_search(
    *, user: User, record_ids: Sequence[int] = (), passport: str = ""
) -> VictimRecordQuerySet[VictimRecord]:
    """The global search's victim records: by record number (VR-000123, the id) or by exact
    passport number through the keyed hash, in the viewer's audience. The caller writes each
    hit to the access log, as the passport search page does."""
    condition = Q(pk__in=[pk for pk in record_ids if 0 < pk < 2**63])
    digest = lookup_hash(passport) if passport else ""
    if digest:
        condition |= Q(passport_hash=digest)
    # A hit shows the reference, owner, status, TLP and compound: the encrypted identity is
    # not even loaded (and, being encrypted, names cannot be searched).
    return victim_list(user=user).filter(condition).defer(*IDENTITY_FIELDS, "lawful_basis_note")


@dataclass(frozen=True)
class VictimStats:
    """Counts only, over the records in the viewer's audience: no identity is read."""

    total: int
    by_status: list[dict[str, Any]]
    by_nationality: list[dict[str, Any]]
    by_compound: list[dict[str, Any]]
    by_month: Sequence[Mapping[str, Any]]  # read-only rows of values("month", "count")


def victim_stats(*, user: User) -> VictimStats:
    # Only non-identifying columns are selected: the encrypted fields are never loaded.
    qs = VictimRecord.objects.visible_to(user).order_by()

    def grouped(column: str) -> list[dict[str, Any]]:
        return list(qs.values(column).annotate(count=Count("id")).order_by("-count", column))

    by_month = list(
        qs.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(count=Count("id"))
        .order_by("month")
    )
    return VictimStats(
        total=qs.count(),
        by_status=grouped("status"),
        by_nationality=grouped("nationality"),
        by_compound=grouped("located_compound"),
        by_month=by_month,
    )


def access_event_list(*, user: User, record_id: int | None = None) -> QuerySet[AccessEvent]:
    """Who accessed the admin's own workspace's records; nothing for anyone else."""
    if not can_read_access_log(user):
        return AccessEvent.objects.none()
    qs = AccessEvent.objects.filter(record_workspace_id=user.workspace_id)
    if record_id is not None:
        qs = qs.filter(record_id=record_id)
    return qs.select_related("actor", "actor_workspace__delegation")


def victims_none() -> QuerySet[VictimRecord]:
    """An empty queryset, for schema generation."""
    return VictimRecord.objects.none()


def access_events_none() -> QuerySet[AccessEvent]:
    return AccessEvent.objects.none()
