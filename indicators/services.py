"""Writes of the IP exchange: submissions, matching, and catalogue curation.

Matching rules (the tasks call `reports_match`):

* A piece of evidence applies when the report's `seen_at` lies in its window
  [valid_from, valid_to): the start is inclusive, the end exclusive; a null end is open.
* Prefix evidence applies to every address inside the prefix (IPv4, IPv6, nested prefixes:
  each containing prefix gives its own match). ASN evidence applies when the report's AS
  number or AS organisation name (case-insensitive) equals the evidence's.
* The warn-list (most specific prefix first, then AS number/name) marks a match weak, with
  the entry's reason, and halves its confidence. In satellite or mobile-carrier space an ASN
  match alone is dropped: the compound must also be named by prefix evidence.
* Matches are reconciled, never deleted: an active match whose evidence is gone or changed
  is withdrawn (time and reason) and a fresh one is created when the evidence still applies.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from embassies.permissions import is_officer
from sharing.notifications import notify, owner_and_police
from sharing.services import audience_validate

from .addresses import address_parse, asn_parse, network_parse, org_normalise
from .choices import NEEDS_FURTHER_EVIDENCE, NetworkKind, ReportContext, UploadStatus
from .enrichment import enrich
from .lookups import id_array
from .matching import PrefixIndex
from .models import (
    CatalogueVersion,
    Compound,
    IPReport,
    Match,
    NetworkEvidence,
    PendingMatch,
    UploadJob,
    WarnListEntry,
)
from .permissions import can_curate

if TYPE_CHECKING:
    from embassies.models import User, Workspace

logger = logging.getLogger(__name__)

MAX_BATCH_ROWS = 10_000
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_SEEN = datetime(1995, 1, 1, tzinfo=UTC)
TASK_CHUNK = 10_000
UPLOAD_CHUNK_ROWS = 500  # one upload-job transaction; progress advances by this much
UPLOAD_STALE = timedelta(minutes=2)
_IN_CHUNK = 900  # stays under SQLite's bound-parameter limit with room to spare
EVIDENCE_REMOVED = "evidence removed from the catalogue"


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- submissions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """One rejected or skipped row: its number in the input, the value, and why."""

    row: int | str
    value: str
    reason: str
    field: str = ""


@dataclass
class BatchResult:
    created: list[int] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.duplicates) + len(self.errors)


def _parse_seen_at(value: object) -> datetime:
    if isinstance(value, datetime):
        when = value
    else:
        try:
            parsed = parse_datetime(str(value or "").strip())
        except ValueError as exc:  # well-formed but impossible: "2026-02-30T10:00Z", "+25:00"
            raise ValueError(
                _("seen_at is not a valid date and time (%(error)s)") % {"error": exc}
            ) from None
        if parsed is None:
            raise ValueError(_("seen_at is not a date and time (use ISO 8601)"))
        when = parsed
    if timezone.is_naive(when):
        raise ValueError(_("seen_at needs a time zone (e.g. +07:00 or Z)"))
    if when > timezone.now() + CLOCK_SKEW:
        raise ValueError(_("seen in the future"))
    if when < EARLIEST_SEEN:
        raise ValueError(_("seen_at is implausibly old"))
    return when


def _parse_port(value: object) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    # isascii: "²" is a digit to str.isdigit() but not to int().
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(_("bad port (must be 1-65535)"))
    return int(text)


def _validate_row(row: dict) -> tuple[dict | None, RowProblem | None]:
    """Check one submitted row; returns (clean values, None) or (None, problem)."""
    number = int(row.get("row") or 0)
    raw = str(row.get("address") or "").strip()
    field_name = "address"
    try:
        address = address_parse(raw)
        field_name = "seen_at"
        seen_at = _parse_seen_at(row.get("seen_at"))
        field_name = "context"
        context = str(row.get("context") or "").strip()
        if context not in ReportContext.values:
            raise ValueError(
                _("unknown context %(value)r (one of: %(choices)s)")
                % {"value": context, "choices": ", ".join(ReportContext.values)}
            )
        field_name = "port"
        port = _parse_port(row.get("port"))
        field_name = "note"
        note = str(row.get("note") or "")
        if len(note) > 2000:
            raise ValueError(_("note longer than 2000 characters"))
        if "\x00" in note:  # PostgreSQL cannot store it in text
            raise ValueError(_("note contains a NUL character"))
    except ValueError as exc:
        return None, RowProblem(row=number, value=raw[:100], reason=str(exc), field=field_name)
    clean = {
        "address": address,
        "seen_at": seen_at,
        "context": context,
        "port": port,
        "note": note,
        "row": number,
        "raw": raw,
    }
    return clean, None


def _existing_sightings(workspace_id: int, keys: list[str]) -> set[tuple[str, datetime, str]]:
    found: set[tuple[str, datetime, str]] = set()
    for chunk in _chunks(sorted(set(keys)), _IN_CHUNK):
        found.update(
            IPReport.objects.filter(workspace_id=workspace_id, address_key__in=chunk).values_list(
                "address_key", "seen_at", "context"
            )
        )
    return found


def enqueue_matching(report_ids: Sequence[int]) -> bool:
    """Publish match tasks for `report_ids`; on a broker failure log it and return False.

    The reports stay pending and the beat sweep (`sweep_unmatched_task`) matches them later,
    so a broker outage never loses a submission nor fails the request that saved it.
    """
    from kombu.exceptions import OperationalError as KombuOperationalError

    from .tasks import match_reports_task

    try:
        for chunk in _chunks(list(report_ids), TASK_CHUNK):
            match_reports_task.delay(list(chunk))
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning(
            "broker unavailable, %d reports left for the sweep: %s", len(report_ids), exc
        )
        return False
    except Exception:  # eager mode runs the task here; a failure must not fail the submission
        logger.exception("matching failed; reports left pending for the sweep")
        return False
    return True


@transaction.atomic
def ip_report_submit_batch(
    *,
    actor: User,
    rows: Sequence[dict],
    tlp: str,
    police_access: bool,
    shared_with_all: bool,
    workspaces: Iterable[Workspace] = (),
) -> BatchResult:
    """Validate and store IP reports; every bad row gets its own problem, good rows are kept.

    `rows` are dicts with `row` (its number in the input), `address`, `seen_at` (aware
    datetime or ISO 8601 text with an offset), `context`, and optional `port` and `note`.
    A sighting already stored for the workspace (same address, time and context), or repeated
    within the batch, is reported as a duplicate and not stored again. Matching is queued
    after the commit.
    """
    if not actor.workspace_id or not is_officer(actor):
        raise PermissionDenied(_("Only liaison officers of a workspace can submit reports."))
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationError(
            _("At most %(max)d rows per submission; this one has %(n)d. Split it.")
            % {"max": MAX_BATCH_ROWS, "n": len(rows)}
        )
    owner = actor.workspace
    assert owner is not None  # checked above (actor.workspace_id)
    named = audience_validate(
        owner=owner, tlp=tlp, shared_with_all=shared_with_all, workspaces=workspaces
    )
    result = BatchResult()
    clean_rows: list[dict] = []
    for row in rows:
        clean, problem = _validate_row(row)
        if problem:
            result.errors.append(problem)
        elif clean is not None:  # always, without a problem
            clean_rows.append(clean)
    existing = _existing_sightings(owner.pk, [c["address"].key for c in clean_rows])
    seen_in_batch: set[tuple[str, datetime, str]] = set()
    now = timezone.now()
    to_create: list[tuple[dict, IPReport]] = []
    for clean in clean_rows:
        identity = (clean["address"].key, clean["seen_at"], clean["context"])
        if identity in existing or identity in seen_in_batch:
            result.duplicates.append(
                RowProblem(clean["row"], clean["raw"][:100], _("already reported"))
            )
            continue
        seen_in_batch.add(identity)
        info = enrich(clean["address"].text)
        report = IPReport(
            workspace=owner,
            created_by=actor,
            created_at=now,
            tlp=tlp,
            police_access=police_access,
            shared_with_all=shared_with_all,
            address=clean["address"].text,
            family=clean["address"].family,
            address_key=clean["address"].key,
            seen_at=clean["seen_at"],
            context=clean["context"],
            port=clean["port"],
            note=clean["note"],
            asn=info.asn,
            as_org=info.as_org,
            geo_country=info.country,
            enrichment_source=info.source,
        )
        to_create.append((clean, report))
    created = _insert_reports(to_create, result)
    if named and created:
        through = IPReport.shared_with.through
        through.objects.bulk_create(
            [through(ipreport_id=r.pk, workspace_id=w.pk) for r in created for w in named]
        )
    result.created = [r.pk for r in created]
    PendingMatch.objects.bulk_create(
        [PendingMatch(report_id=pk, queued_at=now) for pk in result.created], batch_size=1000
    )
    if result.created:
        ids = list(result.created)
        transaction.on_commit(lambda: enqueue_matching(ids))
    return result


def _insert_reports(to_create: list[tuple[dict, IPReport]], result: BatchResult) -> list[IPReport]:
    """Bulk insert; if a concurrent submission stored one of the rows first, go row by row."""
    reports = [r for _, r in to_create]
    try:
        with transaction.atomic():
            return IPReport.objects.bulk_create(reports, batch_size=1000)
    except IntegrityError:
        pass
    created: list[IPReport] = []
    for clean, report in to_create:
        report.pk = None
        try:
            with transaction.atomic():
                report.save(force_insert=True)
        except IntegrityError:
            result.duplicates.append(
                RowProblem(clean["row"], clean["raw"][:100], _("already reported"))
            )
        else:
            created.append(report)
    return created


# --- long uploads (upload jobs) ------------------------------------------------------------


@transaction.atomic
def upload_job_create(
    *,
    actor: User,
    rows: Sequence[dict],
    file_name: str,
    tlp: str,
    police_access: bool,
    shared_with_all: bool,
    workspaces: Iterable[Workspace] = (),
) -> UploadJob:
    """Store a long upload as a job; a worker stores its rows chunk by chunk after the commit.

    Who may submit, the row limit and the audience are checked now, so the form shows those
    errors at once; each row is validated by `ip_report_submit_batch` when its chunk runs.
    """
    if not actor.workspace_id or not is_officer(actor):
        raise PermissionDenied(_("Only liaison officers of a workspace can submit reports."))
    if len(rows) > MAX_BATCH_ROWS:
        raise ValidationError(
            _("At most %(max)d rows per submission; this one has %(n)d. Split it.")
            % {"max": MAX_BATCH_ROWS, "n": len(rows)}
        )
    owner = actor.workspace
    assert owner is not None  # checked above (actor.workspace_id)
    named = audience_validate(
        owner=owner, tlp=tlp, shared_with_all=shared_with_all, workspaces=workspaces
    )
    job = UploadJob(
        workspace=owner,
        created_by=actor,
        file_name=file_name[:200],
        audience={
            "tlp": tlp,
            "police_access": police_access,
            "shared_with_all": shared_with_all,
            "workspace_ids": sorted(w.pk for w in named),
        },
        rows=list(rows),
        total_rows=len(rows),
    )
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: enqueue_upload(job.pk))
    return job


def enqueue_upload(job_id: int) -> bool:
    """Publish the job's task; when the broker is down the beat sweep picks the job up."""
    from kombu.exceptions import OperationalError as KombuOperationalError

    from .tasks import upload_job_task

    try:
        upload_job_task.delay(job_id)
    except (KombuOperationalError, ConnectionError, OSError) as exc:
        logger.warning("broker unavailable, upload job %s left for the sweep: %s", job_id, exc)
        return False
    except Exception:  # eager mode runs the task here; the job records its own failure
        logger.exception("upload job %s failed", job_id)
        return False
    return True


def _upload_chunk(job_id: int, chunk_rows: int) -> UploadJob | None:
    """Store the next chunk of a job and advance its counters, in one transaction."""
    from embassies.models import Workspace

    with transaction.atomic():
        job = UploadJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not job.in_progress:
            return job
        start = job.processed_rows
        chunk = job.rows[start : start + chunk_rows]
        audience = job.audience
        try:
            result = ip_report_submit_batch(
                actor=job.created_by,
                rows=chunk,
                tlp=audience["tlp"],
                police_access=audience["police_access"],
                shared_with_all=audience["shared_with_all"],
                workspaces=list(Workspace.objects.filter(pk__in=audience["workspace_ids"])),
            )
        except (ValidationError, PermissionDenied) as exc:
            # Not transient (e.g. the officer lost the role, a named workspace is gone).
            job.status = UploadStatus.FAILED
            job.error = " ".join(getattr(exc, "messages", None) or [str(exc)])[:300]
            job.finished_at = timezone.now()
            job.save()
            return job
        job.status = UploadStatus.RUNNING
        job.accepted += len(result.created)
        job.duplicates += len(result.duplicates)
        job.rejected += len(result.errors)
        job.problems = [
            *job.problems,
            *(
                {"row": p.row, "value": p.value, "reason": str(p.reason), "kind": kind}
                for kind, problems in (
                    ("rejected", result.errors),
                    ("duplicate", result.duplicates),
                )
                for p in problems
            ),
        ]
        job.processed_rows = start + len(chunk)
        if job.processed_rows >= job.total_rows:
            job.status = UploadStatus.DONE
            job.finished_at = timezone.now()
            job.rows = []  # the reports now hold the data; keep only the per-row outcome
        job.save()
        return job


def upload_job_run(*, job_id: int, chunk_rows: int | None = None) -> UploadJob | None:
    """Process a job to the end, chunk by chunk, from its last committed chunk.

    Idempotent and resumable: every chunk's reports and the job's counters commit together
    under a row lock, so a retried or concurrent run continues where the last commit left off
    and never stores a row twice.
    """
    size = chunk_rows or UPLOAD_CHUNK_ROWS
    while True:
        job = _upload_chunk(job_id, size)
        if job is None or not job.in_progress:
            return job


def upload_jobs_stale() -> list[int]:
    """Ids of unfinished jobs that stopped advancing (broker was down, task gave up)."""
    cutoff = timezone.now() - UPLOAD_STALE
    return list(
        UploadJob.objects.filter(
            status__in=(UploadStatus.QUEUED, UploadStatus.RUNNING), updated_at__lt=cutoff
        ).values_list("pk", flat=True)
    )


# --- matching ------------------------------------------------------------------------------


class _EvidenceRow(TypedDict):
    """A network-evidence row as the compiled catalogue holds it (`values()` of these)."""

    id: int
    compound_id: int
    kind: str
    network: str
    asn: int | None
    as_org: str
    valid_from: datetime | None
    valid_to: datetime | None
    confidence: int


class _WarnRow(TypedDict):
    """A warn-list row as the compiled catalogue holds it (`values()` of these)."""

    id: int
    kind: str
    network: str
    asn: int | None
    as_org: str
    category: str
    reason: str


@dataclass(frozen=True)
class _Catalogue:
    """The compiled catalogue: one prefix index over evidence and warn-list prefixes."""

    version: int
    index: PrefixIndex
    evidence: dict[int, _EvidenceRow]
    warn: dict[int, _WarnRow]
    evidence_by_asn: dict[int, list[int]]
    evidence_by_org: dict[str, list[int]]
    warn_by_asn: dict[int, int]
    warn_by_org: dict[str, int]


_catalogue_cache: dict[int, _Catalogue] = {}
_catalogue_lock = threading.Lock()


def catalogue_version() -> int:
    return CatalogueVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def catalogue_version_bump() -> None:
    """Mark the catalogue changed; every worker rebuilds its index on its next task."""
    if not CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1):
        CatalogueVersion.objects.get_or_create(pk=1, defaults={"version": 1})


def catalogue_compiled() -> _Catalogue:
    """The current catalogue's index, built once per catalogue version per process."""
    version = catalogue_version()
    cached = _catalogue_cache.get(version)
    if cached is not None:
        return cached
    evidence: dict[int, _EvidenceRow] = {
        e["id"]: e
        for e in NetworkEvidence.objects.values(
            "id",
            "compound_id",
            "kind",
            "network",
            "asn",
            "as_org",
            "valid_from",
            "valid_to",
            "confidence",
        )
    }
    warn: dict[int, _WarnRow] = {
        w["id"]: w
        for w in WarnListEntry.objects.values(
            "id", "kind", "network", "asn", "as_org", "category", "reason"
        )
    }
    pairs = [(("e", i), e["network"]) for i, e in evidence.items() if e["kind"] == "prefix"]
    pairs += [(("w", i), w["network"]) for i, w in warn.items() if w["kind"] == "prefix"]
    by_asn: dict[int, list[int]] = defaultdict(list)
    by_org: dict[str, list[int]] = defaultdict(list)
    for i, e in evidence.items():
        if e["kind"] == NetworkKind.ASN:
            if e["asn"]:
                by_asn[e["asn"]].append(i)
            if e["as_org"]:
                by_org[org_normalise(e["as_org"])].append(i)
    warn_by_asn: dict[int, int] = {}
    warn_by_org: dict[str, int] = {}
    for i, w in sorted(warn.items()):
        if w["kind"] == NetworkKind.ASN:
            if w["asn"]:
                warn_by_asn.setdefault(w["asn"], i)
            if w["as_org"]:
                warn_by_org.setdefault(org_normalise(w["as_org"]), i)
    compiled = _Catalogue(
        version=version,
        index=PrefixIndex.from_pairs(pairs),
        evidence=evidence,
        warn=warn,
        evidence_by_asn=dict(by_asn),
        evidence_by_org=dict(by_org),
        warn_by_asn=warn_by_asn,
        warn_by_org=warn_by_org,
    )
    with _catalogue_lock:
        _catalogue_cache.clear()  # only the newest version is ever asked for again
        _catalogue_cache[version] = compiled
    return compiled


def _in_window(evidence: _EvidenceRow, when: datetime) -> bool:
    start, end = evidence["valid_from"], evidence["valid_to"]
    return (start is None or start <= when) and (end is None or when < end)


def _desired_matches(report: dict, hits: list, cat: _Catalogue) -> dict[int, dict]:
    """The matches `report` should have now: evidence id -> snapshot of the match fields."""
    when = report["seen_at"]
    warn_id = next((k[1] for k in hits if k[0] == "w"), None)
    org = org_normalise(report["as_org"])
    if warn_id is None and report["asn"]:
        warn_id = cat.warn_by_asn.get(report["asn"])
    if warn_id is None and org:
        warn_id = cat.warn_by_org.get(org)
    warn = cat.warn.get(warn_id) if warn_id is not None else None
    prefix_ids = [k[1] for k in hits if k[0] == "e" and _in_window(cat.evidence[k[1]], when)]
    asn_ids = list(cat.evidence_by_asn.get(report["asn"], ())) if report["asn"] else []
    asn_ids += [i for i in cat.evidence_by_org.get(org, ()) if i not in asn_ids] if org else []
    asn_ids = [i for i in asn_ids if _in_window(cat.evidence[i], when)]
    if warn and warn["category"] in NEEDS_FURTHER_EVIDENCE:
        by_prefix = {cat.evidence[i]["compound_id"] for i in prefix_ids}
        asn_ids = [i for i in asn_ids if cat.evidence[i]["compound_id"] in by_prefix]
    desired: dict[int, dict] = {}
    for i in prefix_ids + asn_ids:
        e = cat.evidence[i]
        desired[i] = {
            "compound_id": e["compound_id"],
            "kind": e["kind"],
            "matched_network": e["network"] if e["kind"] == NetworkKind.PREFIX else "",
            "matched_asn": e["asn"] if e["kind"] == NetworkKind.ASN else None,
            "matched_as_org": e["as_org"] if e["kind"] == NetworkKind.ASN else "",
            "valid_from": e["valid_from"],
            "valid_to": e["valid_to"],
            "confidence": e["confidence"] // 2 if warn else e["confidence"],
            "weak": warn is not None,
            "warn_entry_id": warn_id if warn else None,
            "warn_category": warn["category"] if warn else "",
            "warn_reason": warn["reason"] if warn else "",
        }
    return desired


_SNAPSHOT_FIELDS = (
    "compound_id",
    "kind",
    "matched_network",
    "matched_asn",
    "matched_as_org",
    "valid_from",
    "valid_to",
    "confidence",
    "weak",
    "warn_entry_id",
    "warn_category",
    "warn_reason",
)


@dataclass
class MatchOutcome:
    created: int = 0
    withdrawn: int = 0
    matched_reports: int = 0


def reports_match(*, report_ids: Sequence[int]) -> MatchOutcome:
    """Reconcile the matches of `report_ids` with the current catalogue (idempotent).

    Creates the missing matches (one INSERT, conflicts ignored on the active-match unique
    constraint), withdraws the stale ones, sets each report's state, and notifies the owner
    workspace and police analysts once per (report, compound).
    """
    outcome = MatchOutcome()
    cat = catalogue_compiled()
    for chunk in _chunks(sorted(set(report_ids)), TASK_CHUNK):
        _match_chunk(list(chunk), cat, outcome)
    return outcome


def _lock_queue(ids: list[int]) -> None:
    """Lock the queue rows of `ids` (in id order), waiting for any run that holds them.

    The same task delivered twice (a redelivery racing the original, the sweep racing a task)
    must not match the same reports in two transactions at once: both would find no match
    yet, both would insert (the unique constraint drops the second copy) and both would
    notify, sending every e-mail twice. With the rows locked first, the second run waits until
    the first commits, then finds its matches and adds and notifies nothing; if the first run
    died (a killed worker), the second finds the rows still queued and matches them. Skipping
    locked rows instead would leave a dying run's reports to the next sweep. SQLite
    serialises writers, so it needs no lock.
    """
    if connection.vendor == "postgresql":
        list(
            PendingMatch.objects.select_for_update()
            .filter(report__any_of=id_array(ids))
            .order_by("report_id")
            .values_list("report_id", flat=True)
        )


@transaction.atomic
def _match_chunk(ids: list[int], cat: _Catalogue, outcome: MatchOutcome) -> None:
    started = timezone.now()
    _lock_queue(ids)
    # Read in two steps: every report's address and AS first, then seen_at only for the few
    # with a candidate match (turning 100,000 timestamps into datetimes costs a second).
    reports = list(
        IPReport.objects.filter(pk__any_of=id_array(ids)).values_list(
            "id", "address", "asn", "as_org"
        )
    )
    if not reports:
        return
    hits_all = cat.index.match([r[1] for r in reports])
    desired: dict[int, dict[int, dict]] = {r[0]: {} for r in reports}
    org_has_evidence: dict[str, bool] = {}
    candidates: list[tuple[tuple, list]] = []
    for r, hits in zip(reports, hits_all, strict=True):
        # The usual case (no prefix hit, AS not in the catalogue) needs nothing more.
        if not hits and not (r[2] and r[2] in cat.evidence_by_asn):
            org = r[3]
            if org not in org_has_evidence:
                org_has_evidence[org] = bool(org) and org_normalise(org) in cat.evidence_by_org
            if not org_has_evidence[org]:
                continue
        candidates.append((r, hits))
    if candidates:
        seen = dict(
            IPReport.objects.filter(pk__any_of=id_array(r[0] for r, _ in candidates)).values_list(
                "id", "seen_at"
            )
        )
        for (pk, address, asn, as_org), hits in candidates:
            report = {"id": pk, "address": address, "asn": asn, "as_org": as_org}
            desired[pk] = _desired_matches({**report, "seen_at": seen[pk]}, hits, cat)
    existing = list(
        Match.objects.active()
        .filter(report__any_of=id_array(desired))
        .values("id", "report_id", "evidence_id", *_SNAPSHOT_FIELDS)
    )
    now = timezone.now()
    withdraw: dict[str, list[int]] = defaultdict(list)
    kept: set[tuple[int, int]] = set()
    for m in existing:
        want = desired[m["report_id"]].get(m["evidence_id"]) if m["evidence_id"] else None
        if want is not None and all(want[f] == m[f] for f in _SNAPSHOT_FIELDS):
            kept.add((m["report_id"], m["evidence_id"]))
        elif m["evidence_id"] is None or m["evidence_id"] not in cat.evidence:
            withdraw[EVIDENCE_REMOVED].append(m["id"])
        elif want is None:
            withdraw["evidence no longer applies (prefix, ASN or window changed)"].append(m["id"])
        else:
            withdraw["evidence or warn-list changed; superseded"].append(m["id"])
    for reason, match_ids in withdraw.items():
        outcome.withdrawn += Match.objects.filter(
            pk__in=match_ids, withdrawn_at__isnull=True
        ).update(withdrawn_at=now, withdrawn_reason=reason)
    new = [
        Match(report_id=report_id, evidence_id=evidence_id, created_at=now, **snapshot)
        for report_id, wanted in desired.items()
        for evidence_id, snapshot in wanted.items()
        if (report_id, evidence_id) not in kept
    ]
    if new:
        Match.objects.bulk_create(new, ignore_conflicts=True)
        outcome.created += len(new)
    outcome.matched_reports += sum(1 for wanted in desired.values() if wanted)
    # Dequeue what this run has seen; a report re-queued since (a newer catalogue change)
    # has a later queued_at and stays for the next run.
    PendingMatch.objects.filter(report__any_of=id_array(ids), queued_at__lte=started).delete()
    new_pairs = {(m.report_id, m.compound_id) for m in new}
    if new_pairs:
        _notify_matches(new_pairs)


def _notify_matches(pairs: set[tuple[int, int]]) -> None:
    """Tell the owner workspace and police analysts about new matches, once per event.

    A single report gets its own notice (once per report and compound). A batch that matched
    many reports gets one digest per group of reports with the same recipients (same owner
    workspace and police access), linking to the match list: a 10,000-row upload must not
    send 10,000 notices, nor cost thousands of queries.
    """
    by_report: dict[int, set[int]] = defaultdict(set)
    for report_id, compound_id in pairs:
        by_report[report_id].add(compound_id)
    reports = IPReport.objects.filter(pk__in=list(by_report)).only(
        "pk", "workspace_id", "police_access", "shared_with_all"
    )
    groups: dict[tuple[int, bool], list[IPReport]] = defaultdict(list)
    for report in reports:
        groups[(report.workspace_id, report.police_access)].append(report)
    for members in groups.values():
        members.sort(key=lambda r: r.pk)
        if len(members) == 1:
            report = members[0]
            for compound_id in sorted(by_report[report.pk]):
                notify(
                    recipients=owner_and_police(report),
                    record=report,
                    kind="ip_match",
                    title=_("IP report #%(id)s matched a known scam compound") % {"id": report.pk},
                    url=reverse("indicators:report_detail", args=[report.pk]),
                    event_key=f"ip_match:{report.pk}:{compound_id}",
                )
            continue
        digest = hashlib.sha256(
            ",".join(f"{r.pk}:{c}" for r in members for c in sorted(by_report[r.pk])).encode()
        ).hexdigest()[:32]
        # Recipients depend only on (owner, police access), equal for the whole group, and
        # notify() still intersects them with the representative record's audience.
        notify(
            recipients=owner_and_police(members[0]),
            record=members[0],
            kind="ip_match",
            title=_("%(n)d IP reports matched known scam compounds") % {"n": len(members)},
            url=reverse("indicators:match_list"),
            event_key=f"ip_match_batch:{digest}",
        )


def reports_mark_pending(*, report_ids: Iterable[int]) -> list[int]:
    """Put reports (back) in the matcher's queue, e.g. after a catalogue change."""
    ids = sorted(set(report_ids))
    now = timezone.now()
    PendingMatch.objects.bulk_create(
        [PendingMatch(report_id=pk, queued_at=now) for pk in ids],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["report"],
        update_fields=["queued_at"],
    )
    return ids


# --- catalogue curation --------------------------------------------------------------------


def _assert_curator(actor: User) -> None:
    if not can_curate(actor):
        raise PermissionDenied(_("Only police analysts and platform admins edit the catalogue."))


COMPOUND_FIELDS = (
    "name",
    "aliases",
    "country",
    "area",
    "latitude",
    "longitude",
    "status",
    "sources",
    "notes",
)


@transaction.atomic
def compound_save(*, actor: User, compound: Compound | None = None, **fields: Any) -> Compound:
    """Create or update a compound (only the given fields change)."""
    _assert_curator(actor)
    compound = compound or Compound()
    for name, value in fields.items():
        if name not in COMPOUND_FIELDS:
            raise ValidationError({name: _("Unknown field.")})
        setattr(compound, name, value)
    compound.full_clean()
    compound.save()
    return compound


EVIDENCE_FIELDS = (
    "kind",
    "network",
    "asn",
    "as_org",
    "valid_from",
    "valid_to",
    "source",
    "confidence",
    "notes",
)


def _normalise_network_fields(obj: NetworkEvidence | WarnListEntry) -> None:
    if obj.kind == NetworkKind.PREFIX:
        try:
            net = network_parse(obj.network)
        except ValueError as exc:
            raise ValidationError({"network": str(exc)}) from None
        obj.network, obj.first_key, obj.last_key = net.text, net.first, net.last
        obj.asn, obj.as_org = None, ""
    else:
        if obj.asn not in (None, ""):
            try:
                obj.asn = asn_parse(obj.asn)
            except ValueError as exc:
                raise ValidationError({"asn": str(exc)}) from None
        else:
            obj.asn = None
        obj.as_org = " ".join((obj.as_org or "").split())
        obj.network, obj.first_key, obj.last_key = "", "", ""


def _reports_affected(obj: NetworkEvidence | WarnListEntry | None) -> set[int]:
    """Reports whose matches may change with `obj` (in its prefix, or in its AS)."""
    if obj is None:
        return set()
    if obj.kind == NetworkKind.PREFIX and obj.first_key:
        qs = IPReport.objects.in_range(obj.first_key, obj.last_key)
    else:
        condition = Q(pk__in=[])
        if obj.asn:
            condition |= Q(asn=obj.asn)
        if obj.as_org:
            condition |= Q(as_org__iexact=obj.as_org)
        qs = IPReport.objects.filter(condition)
    return set(qs.values_list("pk", flat=True))


def _catalogue_changed(report_ids: set[int]) -> None:
    """Bump the version and re-queue affected reports; matching runs after the commit."""
    catalogue_version_bump()
    ids = reports_mark_pending(report_ids=report_ids)
    if ids:
        transaction.on_commit(lambda: enqueue_matching(ids))


def _snapshot(obj: Any, names: Sequence[str]) -> tuple:
    return tuple(getattr(obj, n) for n in names)


@transaction.atomic
def evidence_save(
    *, actor: User, compound: Compound, evidence: NetworkEvidence | None = None, **fields: Any
) -> NetworkEvidence:
    """Create or edit network evidence; existing reports it touches (before or after) are
    re-matched after the commit (their state goes back to pending until then)."""
    _assert_curator(actor)
    before: NetworkEvidence | None = None
    if evidence is not None and evidence.pk:
        before = NetworkEvidence.objects.filter(pk=evidence.pk).first()
    evidence = evidence or NetworkEvidence()
    evidence.compound = compound
    for name, value in fields.items():
        if name not in EVIDENCE_FIELDS:
            raise ValidationError({name: _("Unknown field.")})
        setattr(evidence, name, value)
    _normalise_network_fields(evidence)
    evidence.full_clean()
    if before is not None and _snapshot(before, (*EVIDENCE_FIELDS, "compound_id")) == _snapshot(
        evidence, (*EVIDENCE_FIELDS, "compound_id")
    ):
        return evidence  # nothing changed: no version bump, no re-match
    evidence.save()
    affected = _reports_affected(before) | _reports_affected(evidence)
    affected |= set(
        Match.objects.active().filter(evidence=evidence).values_list("report_id", flat=True)
    )
    _catalogue_changed(affected)
    return evidence


@transaction.atomic
def evidence_delete(*, actor: User, evidence: NetworkEvidence) -> None:
    """Remove evidence: its active matches are withdrawn now (kept as history)."""
    _assert_curator(actor)
    active = Match.objects.active().filter(evidence=evidence)
    affected = set(active.values_list("report_id", flat=True))
    active.update(
        withdrawn_at=timezone.now(), withdrawn_reason="evidence removed from the catalogue"
    )
    evidence.delete()
    _catalogue_changed(affected)


WARN_FIELDS = ("kind", "network", "asn", "as_org", "category", "reason")


@transaction.atomic
def warn_entry_save(
    *, actor: User, entry: WarnListEntry | None = None, **fields: Any
) -> WarnListEntry:
    """Create or edit a warn-list entry; reports inside it are re-matched after the commit."""
    _assert_curator(actor)
    before = WarnListEntry.objects.filter(pk=entry.pk).first() if entry and entry.pk else None
    entry = entry or WarnListEntry()
    for name, value in fields.items():
        if name not in WARN_FIELDS:
            raise ValidationError({name: _("Unknown field.")})
        setattr(entry, name, value)
    _normalise_network_fields(entry)
    entry.full_clean()
    if before is not None and _snapshot(before, WARN_FIELDS) == _snapshot(entry, WARN_FIELDS):
        return entry
    entry.save()
    _catalogue_changed(_reports_affected(before) | _reports_affected(entry))
    return entry


@transaction.atomic
def warn_entry_delete(*, actor: User, entry: WarnListEntry) -> None:
    _assert_curator(actor)
    affected = _reports_affected(entry)
    entry.delete()
    _catalogue_changed(affected)


# --- catalogue import ----------------------------------------------------------------------

CONFIDENCE_WORDS = {"low": 30, "medium": 60, "high": 90}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowProblem] = field(default_factory=list)


def _when(value: object, field_name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        when = parse_datetime(text) or parse_datetime(f"{text}T00:00:00+00:00")
        if when is not None:
            when = when if timezone.is_aware(when) else when.replace(tzinfo=UTC)
            when.astimezone(UTC)  # the database stores UTC: year 1 at +05:00 has none
    except (ValueError, OverflowError) as exc:  # "2026-02-30", an offset of +25:00
        raise ValidationError(
            {field_name: _("not a valid date (%(error)s)") % {"error": exc}}
        ) from None
    if when is None:
        raise ValidationError({field_name: _("not a date (use ISO 8601)")})
    return when


def _confidence(value: object) -> int:
    text = str(value).strip().lower()
    if text in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[text]
    if not (text.isascii() and text.isdigit()) or int(text) > 100:
        raise ValidationError({"confidence": _("confidence must be 0-100 or low/medium/high")})
    return int(text)


def _field_label(name: str) -> str:
    """A catalogue field's name as its label (`as_org` reads "AS organisation")."""
    for model in (Compound, NetworkEvidence, WarnListEntry):
        try:
            return capfirst(str(getattr(model._meta.get_field(name), "verbose_name", name)))
        except FieldDoesNotExist:
            continue
    return capfirst(name.replace("_", " "))


def _error_text(exc: ValidationError) -> str:
    """A catalogue row's problem in words: each field by its label, not its key."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            " ".join(v) if k == NON_FIELD_ERRORS else f"{_field_label(k)}: {' '.join(v)}"
            for k, v in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _upsert_compound(fields: dict) -> str:
    name = fields.get("name", "")
    if not name:
        raise ValidationError({"compound": _("a compound name is required")})
    compound = Compound.objects.filter(name__iexact=name).first()
    state = "created" if compound is None else "unchanged"
    compound = compound or Compound(name=name)
    for key, value in fields.items():
        if key == "name":
            continue
        if key in ("latitude", "longitude"):
            try:
                value = Decimal(str(value).strip())
            except InvalidOperation:
                value = Decimal("NaN")
            if not value.is_finite():
                raise ValidationError({key: _("not a number")})
            # Compared as numbers: "17", "17.0" and 17 are the stored 17.00000.
            if getattr(compound, key) == value:
                continue
        if key == "aliases" and sorted(value) == sorted(compound.aliases):
            continue
        if str(getattr(compound, key) or "") != str(value):
            setattr(compound, key, value)
            state = "updated" if state == "unchanged" else state
    if state != "unchanged":
        compound.full_clean()
        compound.save()
    return state


def _upsert_network(
    model: type[NetworkEvidence] | type[WarnListEntry],
    fields: dict,
    identity: tuple[str, ...],
    extra: tuple[str, ...],
) -> tuple[str, NetworkEvidence | WarnListEntry, NetworkEvidence | WarnListEntry | None]:
    """Create or update one evidence / warn-list row; returns (state, object, before)."""
    obj = model(**{k: v for k, v in fields.items() if k != "compound"})
    if "compound" in fields and isinstance(obj, NetworkEvidence):  # warn entries have none
        obj.compound = fields["compound"]
    _normalise_network_fields(obj)
    lookup = {name: getattr(obj, name) for name in identity}
    existing = model.objects.filter(**lookup).first()
    if existing is None:
        obj.full_clean()
        obj.save()
        return "created", obj, None
    before = model.objects.get(pk=existing.pk)
    changed = False
    for name in extra:
        if name in fields and getattr(existing, name) != getattr(obj, name):
            setattr(existing, name, getattr(obj, name))
            changed = True
    if not changed:
        return "unchanged", existing, None
    existing.full_clean()
    existing.save()
    return "updated", existing, before


@transaction.atomic
def catalogue_import(*, actor: User, items: Sequence[Any]) -> ImportResult:
    """Upsert parsed catalogue items (see `indicators.importers`); idempotent.

    Each bad item is reported with its line (or JSON path) and reason; the others are kept.
    When anything changed, the catalogue version is bumped once and the affected reports are
    re-matched after the commit.
    """
    _assert_curator(actor)
    result = ImportResult()
    affected: set[int] = set()
    changed_any = False
    for item in items:
        try:
            with transaction.atomic():
                if item.type == "invalid":
                    raise ValidationError(item.fields["error"])
                if item.type == "compound":
                    state = _upsert_compound(item.fields)
                elif item.type == "evidence":
                    fields = dict(item.fields)
                    compound = Compound.objects.filter(name__iexact=fields["compound"]).first()
                    if compound is None:
                        raise ValidationError(
                            {"compound": _("unknown compound %(n)r") % {"n": fields["compound"]}}
                        )
                    fields["compound"] = compound
                    fields["valid_from"] = _when(fields.get("valid_from"), "valid_from")
                    fields["valid_to"] = _when(fields.get("valid_to"), "valid_to")
                    if "confidence" in fields:
                        fields["confidence"] = _confidence(fields["confidence"])
                    state, obj, before = _upsert_network(
                        NetworkEvidence,
                        fields,
                        ("compound", "kind", "network", "asn", "as_org", "valid_from", "valid_to"),
                        ("source", "confidence", "notes"),
                    )
                    if state != "unchanged":
                        affected |= _reports_affected(obj) | _reports_affected(before)
                elif item.type == "warn":
                    state, obj, before = _upsert_network(
                        WarnListEntry,
                        dict(item.fields),
                        ("kind", "network", "asn", "as_org"),
                        ("category", "reason"),
                    )
                    if state != "unchanged":
                        affected |= _reports_affected(obj) | _reports_affected(before)
                else:
                    raise ValidationError(_("unknown item"))
        except ValidationError as exc:
            value = str(item.fields.get("network") or item.fields.get("name") or "")
            result.errors.append(RowProblem(item.line, value[:100], _error_text(exc)))
            continue
        if state == "created":
            result.created += 1
        elif state == "updated":
            result.updated += 1
        else:
            result.unchanged += 1
        changed_any |= state != "unchanged" and item.type != "compound"
    if changed_any:
        _catalogue_changed(affected)
    return result
