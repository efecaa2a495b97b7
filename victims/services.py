"""Writes to victim records. Each one locks the row, re-checks the actor, validates, writes the
timeline and the access log in the same transaction, and re-reads through the actor's audience."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from embassies.permissions import is_officer
from sharing import services as sharing_services
from sharing.choices import TLP

from .audit import access_log
from .choices import (
    FINAL_STATUSES,
    OUTCOME_STATUSES,
    SCREENING_STATUSES,
    TRANSITIONS,
    AccessAction,
    AgeBand,
    Indicator,
    LawfulBasis,
    ReferralKind,
    ScreeningOutcome,
    Sex,
    VictimStatus,
)
from .crypto import EncryptedTextField, is_current, lookup_hash, rotate
from .models import IDENTITY_FIELDS, Screening, VictimEvent, VictimRecord
from .triggers import AppendOnly

if TYPE_CHECKING:
    from embassies.models import User, Workspace

SHARING_REFUSED = _(
    "Record the person's consent, or the lawful basis for sharing without it, before sharing "
    "this record beyond your workspace and the police."
)


def _locked(record: VictimRecord | int) -> VictimRecord:
    pk = record.pk if isinstance(record, VictimRecord) else record
    locked = VictimRecord.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise PermissionDenied(_("Only the owner workspace can change this record."))
    return locked


def _event(
    record: VictimRecord, *, actor: User | None, kind: str, note: str = "", **kw: Any
) -> None:
    VictimEvent.objects.create(record=record, actor=actor, kind=kind, note=note, **kw)


def _reread(actor: User, record: VictimRecord) -> VictimRecord:
    return VictimRecord.objects.visible_to(actor).get(pk=record.pk)


def _today() -> dt.date:
    return timezone.localdate()


def _not_future(field: str, value: dt.date | None) -> None:
    if value and value > _today():
        raise ValidationError({field: _("This date is in the future.")})


def assert_sharing_ground(
    *, record: VictimRecord, shared_with_all: bool, workspaces: Iterable[Workspace]
) -> None:
    """The consent gate: beyond the owner and police only with consent or a lawful basis."""
    wider = shared_with_all or any(w.pk != record.workspace_id for w in workspaces)
    if wider and not record.has_sharing_ground:
        raise ValidationError({"audience": SHARING_REFUSED})


def _set_identity(record: VictimRecord, identity: dict[str, Any]) -> None:
    for name in IDENTITY_FIELDS:
        if name in identity:
            value = identity[name]
            setattr(record, name, value if name == "date_of_birth" else (value or "").strip())
    record.passport_hash = lookup_hash(record.passport_number)


@transaction.atomic
def victim_create(
    *,
    actor: User,
    given_name: str = "",
    family_name: str = "",
    aliases: str = "",
    date_of_birth: dt.date | None = None,
    passport_number: str = "",
    phone: str = "",
    family_contact: str = "",
    nationality: str = "",
    sex: str = Sex.UNKNOWN,
    age_band: str = AgeBand.UNKNOWN,
    reported_missing_on: dt.date | None = None,
    note: str = "",
    tlp: str = TLP.AMBER_STRICT,
    police_access: bool = True,
    shared_with_all: bool = False,
    workspaces: Iterable[Workspace] = (),
    ip: str | None = None,
) -> VictimRecord:
    """Open a record for a national of the actor's workspace (status: reported missing).

    Default audience: owner and police, TLP:AMBER+STRICT. A wider audience is refused here:
    consent is recorded on an existing record first (`victim_consent_record`).
    """
    if not actor.workspace_id or not is_officer(actor):
        raise PermissionDenied(_("Only liaison officers open victim records."))
    if not (given_name.strip() or family_name.strip() or aliases.strip()):
        raise ValidationError({"given_name": _("Give at least a name or an alias.")})
    _not_future("date_of_birth", date_of_birth)
    _not_future("reported_missing_on", reported_missing_on)
    workspaces = list(workspaces)
    workspace = actor.workspace
    assert workspace is not None  # checked above (actor.workspace_id)
    record = VictimRecord(
        workspace_id=actor.workspace_id,
        created_by=actor,
        nationality=nationality or (workspace.delegation.country or ""),
        sex=sex,
        age_band=age_band,
        reported_missing_on=reported_missing_on or _today(),
        tlp=tlp,
        police_access=police_access,
        shared_with_all=shared_with_all,
    )
    assert_sharing_ground(record=record, shared_with_all=shared_with_all, workspaces=workspaces)
    sharing_services.audience_validate(
        owner=workspace, tlp=tlp, shared_with_all=shared_with_all, workspaces=workspaces
    )
    _set_identity(
        record,
        {
            "given_name": given_name,
            "family_name": family_name,
            "aliases": aliases,
            "date_of_birth": date_of_birth,
            "passport_number": passport_number,
            "phone": phone,
            "family_contact": family_contact,
        },
    )
    record.full_clean(exclude=["shared_with"])
    record.save()
    _event(
        record,
        actor=actor,
        kind=VictimEvent.Kind.CREATED,
        to_status=record.status,
        note=note.strip(),
    )
    access_log(actor=actor, records=[record], action=AccessAction.CHANGE, ip=ip, detail="created")
    return _reread(actor, record)


@transaction.atomic
def victim_update(
    *, actor: User, record: VictimRecord, ip: str | None = None, **changes: Any
) -> VictimRecord:
    """Correct identity or non-identifying details. Status moves go through victim_transition."""
    allowed = {*IDENTITY_FIELDS, "nationality", "sex", "age_band", "reported_missing_on"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %s") % ", ".join(unknown))
    record = _locked(record)
    sharing_services.assert_can_write(actor=actor, record=record)
    if record.identity_purged_at and set(changes) & set(IDENTITY_FIELDS):
        raise ValidationError(_("The identity of this record was purged under the retention rule."))
    _not_future("date_of_birth", changes.get("date_of_birth"))
    _not_future("reported_missing_on", changes.get("reported_missing_on"))
    _set_identity(record, {k: v for k, v in changes.items() if k in IDENTITY_FIELDS})
    for name in allowed - set(IDENTITY_FIELDS):
        if name in changes:
            setattr(record, name, changes[name])
    record.full_clean(exclude=["shared_with"])
    record.save()
    changed = sorted(changes)
    _event(record, actor=actor, kind=VictimEvent.Kind.EDITED, note=", ".join(changed))
    access_log(
        actor=actor,
        records=[record],
        action=AccessAction.CHANGE,
        ip=ip,
        detail="edited: " + ", ".join(changed),
    )
    return _reread(actor, record)


def _move(
    record: VictimRecord, *, actor: User | None, to_status: str, note: str, kind: str
) -> None:
    """Apply one allowed status move and write it on the timeline."""
    if to_status not in TRANSITIONS.get(record.status, ()):
        raise ValidationError(
            {
                "to_status": _("A record that is “%(from)s” cannot move to “%(to)s”.")
                % {
                    "from": VictimStatus(record.status).label,
                    "to": VictimStatus(to_status).label
                    if to_status in VictimStatus.values
                    else to_status,
                }
            }
        )
    from_status = record.status
    record.status = to_status
    record.status_changed_at = timezone.now()
    if to_status in FINAL_STATUSES and record.final_at is None:
        record.final_at = record.status_changed_at
    _event(
        record,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note.strip(),
    )


@transaction.atomic
def victim_transition(
    *,
    actor: User,
    record: VictimRecord,
    to_status: str,
    note: str = "",
    on: dt.date | None = None,
    located_compound: str = "",
    referral_kind: str = "",
    referral_to: str = "",
    referral_date: dt.date | None = None,
    travel_document_issued_on: dt.date | None = None,
    repatriation_date: dt.date | None = None,
    repatriation_route: str = "",
    handover_to: str = "",
    ip: str | None = None,
) -> VictimRecord:
    """Move a record along its path (choices.TRANSITIONS), with the step's own details.

    Screened and the screening outcomes are reached only by recording a screening.
    """
    record = _locked(record)
    sharing_services.assert_can_write(actor=actor, record=record)
    if to_status not in VictimStatus.values:
        raise ValidationError({"to_status": _("Unknown status.")})
    if to_status in SCREENING_STATUSES | OUTCOME_STATUSES:
        raise ValidationError(
            {"to_status": _("Record a screening to move a record to screened or to an outcome.")}
        )
    _not_future("on", on)
    S = VictimStatus
    if to_status == S.LOCATED:
        record.located_compound = located_compound.strip() or record.located_compound
        record.located_on = on or _today()
    elif to_status == S.RESCUED_OR_RELEASED:
        record.rescued_on = on or _today()
    elif to_status == S.REFERRED:
        errors = {}
        if referral_kind not in ReferralKind.values:
            errors["referral_kind"] = _("Say whether the referral is to a shelter or an agency.")
        if not referral_to.strip():
            errors["referral_to"] = _("Name the shelter or agency.")
        if referral_date is None:
            errors["referral_date"] = _("Give the referral date.")
        if errors:
            raise ValidationError(errors)
        _not_future("referral_date", referral_date)
        record.referral_kind, record.referral_to = referral_kind, referral_to.strip()
        record.referral_date = referral_date
    elif to_status == S.REPATRIATION:
        if repatriation_date is None:
            raise ValidationError({"repatriation_date": _("Give the (planned) repatriation date.")})
        _not_future("travel_document_issued_on", travel_document_issued_on)
        record.travel_document_issued_on = travel_document_issued_on
        record.repatriation_date = repatriation_date
        record.repatriation_route = repatriation_route.strip()
        record.handover_to = handover_to.strip()
    elif to_status == S.HOME:
        record.home_on = on or _today()
    elif to_status == S.CLOSED and not note.strip():
        raise ValidationError({"note": _("Say why the record is closed.")})
    _move(record, actor=actor, to_status=to_status, note=note, kind=VictimEvent.Kind.TRANSITION)
    record.full_clean(exclude=["shared_with"])
    record.save()
    access_log(
        actor=actor, records=[record], action=AccessAction.CHANGE, ip=ip, detail=f"→ {to_status}"
    )
    return _reread(actor, record)


@transaction.atomic
def screening_record(
    *,
    actor: User,
    record: VictimRecord,
    interview_date: dt.date,
    place: str,
    screening_officer: str,
    outcome: str,
    outcome_reason: str,
    interpreter: str = "",
    indicators: Iterable[str] = (),
    ip: str | None = None,
) -> Screening:
    """Record a victim-identification interview; the record moves to screened, then to the
    outcome."""
    record = _locked(record)
    sharing_services.assert_can_write(actor=actor, record=record)
    indicators = list(dict.fromkeys(indicators))
    unknown = [i for i in indicators if i not in Indicator.values]
    if unknown:
        raise ValidationError({"indicators": _("Unknown indicator: %s") % ", ".join(unknown)})
    if outcome not in ScreeningOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    _not_future("interview_date", interview_date)
    screening = Screening(
        record=record,
        interview_date=interview_date,
        place=place.strip(),
        interpreter=interpreter.strip(),
        screening_officer=screening_officer.strip(),
        indicators=indicators,
        outcome=outcome,
        outcome_reason=outcome_reason.strip(),
        created_by=actor,
    )
    screening.full_clean()
    kind = VictimEvent.Kind.SCREENING
    _move(record, actor=actor, to_status=VictimStatus.SCREENED, note=place, kind=kind)
    _move(record, actor=actor, to_status=outcome, note=outcome_reason, kind=kind)
    record.full_clean(exclude=["shared_with"])
    record.save()
    screening.save()
    access_log(actor=actor, records=[record], action=AccessAction.CHANGE, ip=ip, detail="screening")
    return screening


@transaction.atomic
def victim_consent_record(
    *,
    actor: User,
    record: VictimRecord,
    consent_given: bool,
    lawful_basis: str = "",
    lawful_basis_note: str = "",
    ip: str | None = None,
) -> VictimRecord:
    """Record whether the person consented to sharing, or the lawful basis without consent.

    Withdrawing both is refused while the record is shared beyond the owner and police.
    """
    record = _locked(record)
    sharing_services.assert_can_write(actor=actor, record=record)
    if lawful_basis and lawful_basis not in LawfulBasis.values:
        raise ValidationError({"lawful_basis": _("Unknown lawful basis.")})
    if lawful_basis and not lawful_basis_note.strip():
        raise ValidationError({"lawful_basis_note": _("Explain the lawful basis in the note.")})
    record.consent_given = bool(consent_given)
    record.lawful_basis = lawful_basis
    record.lawful_basis_note = lawful_basis_note.strip() if lawful_basis else ""
    wider = record.shared_with_all or record.shared_with.exists()
    if wider and not record.has_sharing_ground:
        raise ValidationError(
            _(
                "This record is shared beyond your workspace and the police: "
                "narrow its audience first."
            )
        )
    record.consent_recorded_at, record.consent_recorded_by = timezone.now(), actor
    record.full_clean(exclude=["shared_with"])
    record.save()
    if consent_given:
        summary = "consent given"
    else:
        summary = f"no consent; lawful basis: {lawful_basis}" if lawful_basis else "no consent"
    _event(record, actor=actor, kind=VictimEvent.Kind.CONSENT, note=summary)
    access_log(actor=actor, records=[record], action=AccessAction.CHANGE, ip=ip, detail=summary)
    return _reread(actor, record)


@transaction.atomic
def victim_audience_set(
    *,
    actor: User,
    record: VictimRecord,
    tlp: str,
    police_access: bool,
    shared_with_all: bool,
    workspaces: Iterable[Workspace] = (),
    ip: str | None = None,
) -> VictimRecord:
    """Set who may see the record, through the consent gate, then sharing.audience_set."""
    locked = _locked(record)
    sharing_services.assert_can_write(actor=actor, record=locked)
    workspaces = list(workspaces)
    assert_sharing_ground(record=locked, shared_with_all=shared_with_all, workspaces=workspaces)
    sharing_services.audience_set(
        actor=actor,
        record=locked,
        tlp=tlp,
        police_access=police_access,
        shared_with_all=shared_with_all,
        workspaces=workspaces,
    )
    detail = f"tlp={tlp} police={police_access} all={shared_with_all} named={len(workspaces)}"
    _event(locked, actor=actor, kind=VictimEvent.Kind.AUDIENCE, note=detail)
    access_log(actor=actor, records=[locked], action=AccessAction.CHANGE, ip=ip, detail=detail)
    return _reread(actor, locked)


PURGED_NOTE = "(purged with the identity)"


@transaction.atomic
def victim_identity_purge(*, record_id: int, reason: str) -> bool:
    """Erase a record's identity fields, keeping the non-identifying statistics; audited.

    Idempotent: a record already purged is left alone (returns False).
    """
    record = VictimRecord.objects.select_for_update().filter(pk=record_id).first()
    if record is None or record.identity_purged_at is not None:
        return False
    for name in IDENTITY_FIELDS:
        setattr(record, name, None if name == "date_of_birth" else "")
    record.passport_hash = ""
    record.identity_purged_at = timezone.now()
    # Free text about the person goes too: the timeline's notes (its entries stay, with who
    # and when), and the reasons of a lawful basis or a screening outcome (a placeholder).
    VictimEvent.objects.filter(record=record).exclude(note="").erase("note")
    if record.lawful_basis_note:
        record.lawful_basis_note = PURGED_NOTE
    record.save(
        update_fields=[*IDENTITY_FIELDS, "passport_hash", "identity_purged_at", "lawful_basis_note"]
    )
    for screening in record.screenings.exclude(outcome_reason=""):
        screening.outcome_reason = PURGED_NOTE
        screening.save(update_fields=["outcome_reason"])
    _event(record, actor=None, kind=VictimEvent.Kind.PURGED, note=reason)
    access_log(actor=None, records=[record], action=AccessAction.PURGE, detail=reason)
    return True


def victims_purge_expired(*, now: dt.datetime | None = None) -> int:
    """Purge the identity of every record final (home/closed) for longer than the retention
    period (settings.VICTIMS_RETENTION_DAYS). One transaction per record; returns how many."""
    days = settings.VICTIMS_RETENTION_DAYS
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    due = VictimRecord.objects.filter(
        identity_purged_at__isnull=True, final_at__isnull=False, final_at__lt=cutoff
    ).values_list("pk", flat=True)
    reason = f"retention: final for more than {days} days"
    return sum(victim_identity_purge(record_id=pk, reason=reason) for pk in list(due))


@dataclass(frozen=True)
class Reencrypted:
    """How many rows of each table `identity_reencrypt` rewrote under the current key."""

    records: int = 0
    screenings: int = 0
    events: int = 0

    @property
    def total(self) -> int:
        return self.records + self.screenings + self.events


class ReencryptNeedsOwner(Exception):
    """The timeline (append-only) can only be re-encrypted by the owner of its table."""


def _reencrypt_table(model: type[models.Model], *, batch_size: int) -> int:
    """Rewrite, batch by batch, the rows of `model` holding a token the current key cannot open.

    Works on the stored tokens (crypto.rotate) rather than load-and-save: rows already under the
    current key are not written again, so a rerun after an interruption only does what is left.
    Each UPDATE also matches the old token: a row changed meanwhile was written under the
    current key and is left alone.
    """
    fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
    quote = connection.ops.quote_name
    table, pk_column = quote(model._meta.db_table), quote(_column(model._meta.pk))
    # Cast to a plain TextField: the stored token, not the field's decrypted value.
    raw = {f"_raw_{f.name}": Cast(f.name, models.TextField()) for f in fields}
    columns = [quote(_column(f)) for f in fields]
    trigger = _append_only_trigger(model)
    done, last = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            if trigger:
                _switch_trigger(cursor, model, trigger, enable=False)
            rows = list(
                model._base_manager.filter(pk__gt=last)
                .order_by("pk")
                .annotate(**raw)
                .values_list("pk", *raw)[:batch_size]
            )
            for pk, *tokens in rows:
                stale = [
                    (c, t) for c, t in zip(columns, tokens, strict=True) if t and not is_current(t)
                ]
                if not stale:
                    continue
                sets = ", ".join(f"{c} = %s" for c, _ in stale)
                same = "".join(f" AND {c} = %s" for c, _ in stale)
                cursor.execute(
                    f"UPDATE {table} SET {sets} WHERE {pk_column} = %s{same}",  # noqa: S608 (names from _meta)
                    [*(rotate(t) for _, t in stale), pk, *(t for _, t in stale)],
                )
                done += cursor.rowcount
            if trigger:
                _switch_trigger(cursor, model, trigger, enable=True)
        if len(rows) < batch_size:
            return done
        last = rows[-1][0]


def _column(field: Any) -> str:
    assert field.column, field  # a concrete field always has one
    return str(field.column)


def _append_only_trigger(model: type[models.Model]) -> str:
    """The name of the PostgreSQL trigger keeping `model` append-only; '' if there is none."""
    if connection.vendor != "postgresql":
        return ""
    triggers = [t for t in getattr(model._meta, "triggers", ()) if isinstance(t, AppendOnly)]
    # pgtrigger annotates `model` as an instance; it is (and must be) the class.
    return triggers[0].get_pgid(model) if triggers else ""  # type: ignore[arg-type]


def _switch_trigger(cursor: Any, model: type[models.Model], pgid: str, *, enable: bool) -> None:
    """Switch an append-only trigger off or on, for this transaction only.

    ALTER TABLE holds an exclusive lock on the table until commit, so no other session reads or
    writes it while the trigger is off, and a rollback leaves it on. Only the table's owner may:
    deployments serve the app with a role that owns nothing, so the rotation runs as the role
    that runs migrations.
    """
    quote = connection.ops.quote_name
    try:
        if not enable:
            # Deferred FK checks still pending in this transaction would make ALTER TABLE refuse.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        switch = "ENABLE" if enable else "DISABLE"
        cursor.execute(f"ALTER TABLE {quote(model._meta.db_table)} {switch} TRIGGER {quote(pgid)}")
    except ProgrammingError as exc:
        raise ReencryptNeedsOwner(
            f"re-encrypting {model._meta.db_table} needs the owner of the table (the role that "
            "runs migrations): its rows are append-only"
        ) from exc


def identity_reencrypt(*, batch_size: int = 500) -> Reencrypted:
    """Re-encrypt every encrypted value under the current (first) key, after a key rotation:
    the records' identity and lawful basis notes, the screenings' reasons, the timeline's notes.

    The timeline is append-only (PostgreSQL: a trigger); it is done last, with its trigger off
    inside each batch's transaction, and needs the table owner (ReencryptNeedsOwner). The access
    log holds no encrypted value and is not touched, so its hash chain stays as it was.
    """
    return Reencrypted(
        records=_reencrypt_table(VictimRecord, batch_size=batch_size),
        screenings=_reencrypt_table(Screening, batch_size=batch_size),
        events=_reencrypt_table(VictimEvent, batch_size=batch_size),
    )
