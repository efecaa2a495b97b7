"""Notify the people in a record's audience: in-app, and by e-mail that carries only a link."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

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
    # A recipient who already has a notice for this event keeps it (the conflict is ignored),
    # so notifying twice creates no second notice and owes no second e-mail.
    already = set(
        Notification.objects.filter(event_key=event_key, recipient__in=allowed).values_list(
            "recipient_id", flat=True
        )
    )
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=u,
                kind=kind,
                title=title,
                url=url,
                event_key=event_key,
                email_due=email,
            )
            for u in allowed
        ],
        ignore_conflicts=True,
    )
    if email and allowed:
        from .tasks import send_notice_emails_task

        # robust: the notice and the e-mail it owes are committed; if the broker is down the
        # minute sweep sends it, so the outage must not turn a saved change into an error.
        transaction.on_commit(lambda: send_notice_emails_task.delay(event_key), robust=True)
    return len([u for u in allowed if u.pk not in already])


def deliver_due_emails(*, event_key: str | None = None, batch: int = 200) -> int:
    """Send the e-mail each due notice owes (of one event, or all), once; returns how many.

    A batch of due notices is locked (FOR UPDATE SKIP LOCKED), mailed over one connection and
    marked sent in the same transaction: two workers (a task delivered twice, the sweep racing
    a task) never mail a notice twice, and a worker killed mid-batch leaves its batch due (the
    locks die with its connection). If the mail server fails mid-batch, the notices mailed
    before the failure are still marked sent, and the error is raised for a retry.
    """
    due = Notification.objects.filter(email_due=True)
    if event_key is not None:
        due = due.filter(event_key=event_key)
    sent = 0
    while True:
        failure: Exception | None = None
        with transaction.atomic():
            notices = list(due.select_for_update(skip_locked=True).order_by("pk")[:batch])
            if not notices:
                return sent
            # Deactivated accounts get no e-mail; their notices are settled all the same.
            addresses = dict(
                User.objects.filter(
                    pk__in={n.recipient_id for n in notices}, is_active=True
                ).values_list("pk", "email")
            )
            settled = []
            with get_connection() as connection:
                for notice in notices:
                    address = addresses.get(notice.recipient_id)
                    try:
                        if address is not None:
                            email_message(notice, address, connection).send()
                            sent += 1
                    except OSError as exc:  # smtplib's errors are OSErrors too
                        failure = exc
                        break
                    settled.append(notice.pk)
            Notification.objects.filter(pk__in=settled).update(
                email_due=False, emailed_at=timezone.now()
            )
        if failure is not None:
            raise failure
        if len(notices) < batch:
            return sent


def email_message(notice: Notification, address: str, connection: Any) -> EmailMessage:
    """The e-mail copy of a notice: the kind of event and a link, never record content."""
    body = (
        "There is something new for you on the intelligence exchange.\n\n"
        f"Sign in to see it: {settings.SITE_URL}{notice.url}\n\n"
        "For safety this e-mail carries no details."
    )
    return EmailMessage(
        title_safe(notice.kind),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        connection=connection,
    )


def title_safe(kind: str) -> str:
    """The e-mail subject: the kind of event only, never record content."""
    return f"Intelligence exchange: {kind.replace('_', ' ')}"


def inbox(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
