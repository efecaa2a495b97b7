"""Notify the people in a record's audience: in-app, and by e-mail that carries only a link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet

from embassies.models import User

from .models import Notification

if TYPE_CHECKING:
    from .models import SharedRecord


def audience_members(record: SharedRecord) -> QuerySet[User]:
    """Every active user who may see `record`: the mirror image of `visible_to`.

    Kept next to it in meaning and tested against it over the whole test cast.
    """
    condition = Q(workspace_id=record.workspace_id)
    if record.police_access:
        condition |= Q(is_police_analyst=True)
    if record.shared_with_all:
        condition |= Q(workspace__isnull=False)
    shares: Any = record.shared_with.through
    shared = shares.objects.filter(
        **{f"{type(record).share_record_fk_name()}_id": record.pk}
    ).values("workspace_id")
    condition |= Q(workspace_id__in=shared)
    return User.objects.filter(condition, is_active=True)


def owner_and_police(record: SharedRecord) -> QuerySet[User]:
    """The usual recipients of a notice: the owner workspace, and analysts if open to police."""
    condition = Q(workspace_id=record.workspace_id)
    if record.police_access:
        condition |= Q(is_police_analyst=True)
    return User.objects.filter(condition, is_active=True)


def notify(
    *,
    recipients: QuerySet[User],
    record: SharedRecord,
    kind: str,
    title: str,
    url: str,
    event_key: str,
    email: bool = True,
) -> int:
    """Create one notice per recipient who can see `record`; idempotent per `event_key`.

    Returns how many notices were created. Recipients are intersected with the record's
    audience in the same query, so a caller's mistake cannot leak a notice.
    """
    allowed = list(recipients.filter(pk__in=audience_members(record).values("pk")))
    # Notify twice, e-mail once: whoever already has a notice for this event is not mailed again.
    already = set(
        Notification.objects.filter(event_key=event_key, recipient__in=allowed).values_list(
            "recipient_id", flat=True
        )
    )
    created = Notification.objects.bulk_create(
        [
            Notification(recipient=u, kind=kind, title=title, url=url, event_key=event_key)
            for u in allowed
        ],
        ignore_conflicts=True,
    )
    ids = [u.pk for u in allowed if u.pk not in already]
    if email and ids:
        from .tasks import send_notification_emails_task

        # robust: the notice is committed; a broker outage loses only the e-mail (logged), it
        # must not turn a saved change into an error for the user or a failed task.
        transaction.on_commit(
            lambda: send_notification_emails_task.delay(ids, title_safe(kind), url), robust=True
        )
    return len(created)


def title_safe(kind: str) -> str:
    """The e-mail subject: the kind of event only, never record content."""
    return f"Intelligence exchange: {kind.replace('_', ' ')}"


def inbox(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
