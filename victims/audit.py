"""The access log of victim records: append in order under a lock, verify the hash chain.

No maintained package logs reads, so this is built here. Every entry's hash is
SHA-256(canonical JSON of its fields, including the previous entry's hash). Appends lock the
single AuditChainHead row (SELECT ... FOR UPDATE), so concurrent writers get consecutive
`seq` numbers and each links to the true previous entry; on SQLite writes are serialised anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .models import AccessEvent, AuditChainHead, VictimRecord

if TYPE_CHECKING:
    from embassies.models import User

GENESIS = "0" * 64


def client_ip(request: HttpRequest | None) -> str | None:
    """Where a request came from: REMOTE_ADDR, or the X-Forwarded-For entry added by the
    outermost of VICTIMS_TRUSTED_PROXY_COUNT trusted proxies (entries left of it are
    client-supplied and could be forged)."""
    if request is None:
        return None
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "VICTIMS_TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        chain = [p for p in chain if p]
        if len(chain) >= proxies:
            candidate = chain[-proxies]
    return _normalise_ip(candidate)


def _normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    # The form the database stores (GenericIPAddressField), so the hash survives a round trip.
    return clean_ipv6_address(str(ip)) if ip.version == 6 else str(ip)


def _canonical(
    *,
    seq: int,
    prev_hash: str,
    actor_id: int | None,
    actor_workspace_id: int | None,
    record_id: int,
    record_workspace_id: int,
    at: dt.datetime,
    ip: str | None,
    action: str,
    detail: str,
) -> bytes:
    return json.dumps(
        [
            seq,
            prev_hash,
            actor_id,
            actor_workspace_id,
            record_id,
            record_workspace_id,
            at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            ip,
            action,
            detail,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def entry_hash(event: AccessEvent) -> str:
    """The hash `event` must carry, given its fields and its `prev_hash`."""
    return hashlib.sha256(
        _canonical(
            seq=event.seq,
            prev_hash=event.prev_hash,
            actor_id=event.actor_id,
            actor_workspace_id=event.actor_workspace_id,
            record_id=event.record_id,
            record_workspace_id=event.record_workspace_id,
            at=event.at,
            ip=event.ip,
            action=event.action,
            detail=event.detail,
        )
    ).hexdigest()


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First entry ever (or after a test flush): create the head, then lock it.
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@transaction.atomic
def access_log(
    *,
    actor: User | None,
    records: Iterable[VictimRecord],
    action: str,
    ip: str | None = None,
    detail: str = "",
) -> list[AccessEvent]:
    """Append one entry per record (a search result page: one per hit) in a single insert.

    Call inside the transaction of the access it records, so a failed change leaves no entry
    and a logged view cannot be lost.
    """
    records = list(records)
    if not records:
        return []
    head = _lock_head()
    now = timezone.now()
    ip = _normalise_ip(ip)
    detail = detail[:300]
    events: list[AccessEvent] = []
    seq, prev = head.seq, head.hash
    for record in records:
        seq += 1
        event = AccessEvent(
            seq=seq,
            actor=actor,
            actor_workspace_id=getattr(actor, "workspace_id", None),
            record_id=record.pk,
            record_workspace_id=record.workspace_id,
            at=now,
            ip=ip,
            action=action,
            detail=detail,
            prev_hash=prev,
        )
        event.hash = prev = entry_hash(event)
        events.append(event)
    AccessEvent.objects.bulk_create(events)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return events


def access_log_request(
    request: HttpRequest,
    records: Sequence[VictimRecord] | VictimRecord,
    action: str,
    detail: str = "",
) -> list[AccessEvent]:
    """`access_log` for a page or API request: the signed-in user and the client address."""
    if isinstance(records, VictimRecord):
        records = [records]
    return access_log(
        actor=cast("User", request.user),  # the views and the API require a signed-in user
        records=records,
        action=action,
        ip=client_ip(request),
        detail=detail,
    )


@dataclass
class ChainReport:
    """The result of `chain_verify`: ok, how many entries were checked, and what is wrong."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def chain_verify() -> ChainReport:
    """Walk the whole log in `seq` order and report gaps, broken links and edited entries.

    Also compares the last entry with the chain head, so a removed tail is found too.
    """
    report = ChainReport()
    expected_seq, prev = 1, GENESIS
    last = None
    for event in AccessEvent.objects.order_by("seq").iterator(chunk_size=2000):
        report.checked += 1
        if event.seq != expected_seq:
            report.problems.append(f"gap: entries {expected_seq} to {event.seq - 1} are missing")
        if event.prev_hash != prev:
            report.problems.append(f"#{event.seq}: does not link to the entry before it")
        if entry_hash(event) != event.hash:
            report.problems.append(f"#{event.seq}: content does not match its hash (edited)")
        expected_seq, prev, last = event.seq + 1, event.hash, event
    head = AuditChainHead.objects.filter(pk=1).first()
    if (
        head is not None
        and head.seq
        and (last is None or head.seq != last.seq or head.hash != last.hash)
    ):
        report.problems.append(
            f"the chain head is at #{head.seq} but the log ends at "
            f"#{last.seq if last else 0}: entries were removed from the end"
        )
    return report
