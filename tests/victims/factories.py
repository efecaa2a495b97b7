"""Victim records for tests, created through the services like a real officer would."""

from __future__ import annotations

import datetime as dt

from victims import services
from victims.choices import LawfulBasis, ScreeningOutcome, VictimStatus
from victims.models import Screening, VictimRecord

NAME = "Zyxwanda"
FAMILY = "Quorrelby"
PASSPORT = "P-1234 567X"


def victim(actor, **kw) -> VictimRecord:
    """A record opened by `actor` with a recognisable (fictional) identity."""
    data = {
        "given_name": NAME,
        "family_name": FAMILY,
        "passport_number": PASSPORT,
        "phone": "+63 900 000 0001",
        "family_contact": "Mother, +63 900 000 0002",
        "date_of_birth": dt.date(1999, 4, 5),
        **kw,
    }
    return services.victim_create(actor=actor, **data)


def _walk_to_screening(actor, record, *, outcome, reason, located: dict) -> Screening:
    services.victim_transition(
        actor=actor, record=record, to_status=VictimStatus.LOCATED, **located
    )
    services.victim_transition(
        actor=actor, record=record, to_status=VictimStatus.RESCUED_OR_RELEASED
    )
    return services.screening_record(
        actor=actor,
        record=record,
        interview_date=dt.date(2026, 1, 10),
        place="Mae Sot",
        screening_officer="Officer A",
        outcome=outcome,
        outcome_reason=reason,
        indicators=["deception_recruitment", "forced_criminality"],
    )


def screened(actor, record, outcome=ScreeningOutcome.IDENTIFIED_VICTIM) -> VictimRecord:
    """Walk a record to a screening outcome."""
    _walk_to_screening(
        actor,
        record,
        outcome=outcome,
        reason="Indicators present",
        located={"located_compound": "KK Park"},
    )
    return VictimRecord.objects.get(pk=record.pk)


def story(
    actor,
    *,
    created_note: str = "",
    located_note: str = "",
    reason: str = "Indicators present",
    basis: str = "Still held in the compound.",
    outcome: str = ScreeningOutcome.IDENTIFIED_VICTIM,
) -> tuple[VictimRecord, Screening]:
    """A record whose free text tells the person's story: every encrypted note filled in."""
    record = victim(actor, note=created_note)
    screening = _walk_to_screening(
        actor, record, outcome=outcome, reason=reason, located={"note": located_note}
    )
    services.victim_consent_record(
        actor=actor,
        record=record,
        consent_given=False,
        lawful_basis=LawfulBasis.VITAL_INTEREST,
        lawful_basis_note=basis,
    )
    return VictimRecord.objects.get(pk=record.pk), screening
